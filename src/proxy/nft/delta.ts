/**
 * Partial sync: the transaction that turns the ruleset rendered for `prev` into the one rendered
 * for `next`, touching only the Services that changed. A Service's objects depend on nothing but
 * the Service (see rules.ts), so unchanged Services are skipped after a field-by-field
 * comparison and only changed ones are rendered twice and diffed: adding one Service on top of
 * 10,000 is a handful of operations. The node and options must be those of the last full sync
 * (when they change, or a sync failed, use renderServicesFull). Pure.
 *
 * Order inside the transaction (the kernel checks references at every step):
 *   1 delete map elements that go or change   5 add new chains
 *   2 flush chains that go or change          6 add the rules of new and changed chains
 *   3 delete affinity sets and shared maps    7 delete chains that go (flushed in 2, unreferenced)
 *     that go or change                       8 add map elements that are new or changed
 *   4 add new (or changed) affinity sets and shared maps
 * Hairpin pairs (@hairpin-endpoints) and the shared chains and endpoint maps (clusterip-3,
 * pick-3, service-endpoints-2, …) are shared between Services: one is deleted only when no
 * Service of `next` uses it any more, and a shared chain or map is added only when no Service of
 * `prev` used it (see sharedElements, sharedTableObjects). With the map shape, adding a Service
 * is element inserts only (chains and maps too for an endpoint count no Service had).
 * Deleting a chain in the transaction that deletes the last element naming it needs kernel
 * ≥ 6.2 (before that, kube-proxy deferred the delete by a second); podnet targets newer kernels.
 */
import type { ServiceEntry, ServicePortEntry, ServiceTable } from '../../model/service-table.js';
import { renderServiceFragment, sharedIds, type ChainSpec, type Fragment, type NodeRef, type ServiceRenderOptions } from './rules.js';
import { HAIRPIN_SET } from '../../render/nft/names.js';
import { elementText, Transaction, type ElementObj, type MapObj, type SetObj } from '../../render/nft/txn.js';

const EMPTY: Fragment = { sets: [], sharedMaps: [], sharedChains: [], chains: [], elements: [] };

interface Changes {
  deleteElements: ElementObj[];
  flushChains: string[];
  deleteSets: SetObj[];
  deleteMaps: MapObj[];
  addSets: SetObj[];
  addMaps: MapObj[];
  addChains: string[];
  fillChains: ChainSpec[];
  deleteChains: string[];
  addElements: ElementObj[];
}

export function renderServicesDelta(prev: ServiceTable, next: ServiceTable, node: NodeRef, opts: ServiceRenderOptions): Transaction {
  const before = new Map(prev.services.map((s) => [s.key, s]));
  const after = new Map(next.services.map((s) => [s.key, s]));
  const c: Changes = { deleteElements: [], flushChains: [], deleteSets: [], deleteMaps: [], addSets: [], addMaps: [], addChains: [], fillChains: [], deleteChains: [], addElements: [] };
  const unchanged: ServiceEntry[] = [];
  const sharedNext = new Set<string>(); // hairpin pairs the changed Services render in `next`
  const sharedPrev = new Map<string, Shared>(); // shared maps and chains the changed Services use in `prev`
  const sharedNextObjs = new Map<string, Shared>(); // … and in `next`
  const changed: string[] = [];
  for (const [key, p] of before) {
    const n = after.get(key);
    if (n && sameService(p, n)) unchanged.push(n);
    else changed.push(key);
  }
  for (const key of after.keys()) if (!before.has(key)) changed.push(key);
  for (const key of changed.sort()) {
    const p = before.get(key);
    const n = after.get(key);
    const nf = n ? renderServiceFragment(n, node, opts) : EMPTY;
    const pf = p ? renderServiceFragment(p, node, opts) : EMPTY;
    for (const e of nf.elements) if (e.set === HAIRPIN_SET) sharedNext.add(elementText(e, false));
    for (const o of fragmentShared(pf)) sharedPrev.set(o.id, o);
    for (const o of fragmentShared(nf)) sharedNextObjs.set(o.id, o);
    diffFragments(pf, nf, c);
  }
  sharedElements(c, sharedNext, unchanged, node, opts);
  sharedTableObjects(c, sharedPrev, sharedNextObjs, unchanged, node, opts);
  const tx = new Transaction('ip', opts.tableName);
  for (const e of c.deleteElements) tx.delete(e);
  for (const name of c.flushChains) tx.flush({ kind: 'chain', name });
  for (const s of c.deleteSets) tx.delete(s);
  for (const m of c.deleteMaps) tx.delete(m);
  for (const s of c.addSets) tx.add(s);
  for (const m of c.addMaps) tx.add(m);
  for (const name of c.addChains) tx.add({ kind: 'chain', name });
  for (const ch of c.fillChains) for (const rule of ch.rules) tx.add({ kind: 'rule', chain: ch.name, rule });
  for (const name of c.deleteChains) tx.delete({ kind: 'chain', name });
  for (const e of c.addElements) tx.add(e);
  return tx;
}

/**
 * Hairpin pairs are shared: several Services (or ports) may render the same one. A pair is
 * deleted only when no Service of `next` renders it any more — neither a changed one nor an
 * unchanged one (only those with an endpoint at one of the candidate addresses are rendered
 * again) — and every pair is deleted or added at most once.
 */
function sharedElements(c: Changes, sharedNext: Set<string>, unchanged: readonly ServiceEntry[], node: NodeRef, opts: ServiceRenderOptions): void {
  const candidates = new Map<string, ElementObj>();
  for (const e of c.deleteElements) if (e.set === HAIRPIN_SET && !sharedNext.has(elementText(e, false))) candidates.set(elementText(e, false), e);
  if (candidates.size > 0) {
    const ips = new Set([...candidates.values()].map((e) => e.key[0]));
    for (const svc of unchanged) {
      if (!svc.ports.some((p) => p.endpoints.some((e) => ips.has(e.ip)))) continue;
      for (const e of renderServiceFragment(svc, node, opts).elements) if (e.set === HAIRPIN_SET) candidates.delete(elementText(e, false));
    }
  }
  c.deleteElements = [...c.deleteElements.filter((e) => e.set !== HAIRPIN_SET), ...candidates.values()];
  const added = new Set<string>();
  c.addElements = c.addElements.filter((e) => {
    if (e.set !== HAIRPIN_SET) return true;
    const k = elementText(e, false);
    return added.has(k) ? false : (added.add(k), true);
  });
}

type Shared = { id: string; map?: MapObj; chain?: ChainSpec };

function fragmentShared(f: Fragment): Shared[] {
  return [...f.sharedMaps.map((map) => ({ id: `map ${map.name}`, map })), ...f.sharedChains.map((chain) => ({ id: `chain ${chain.name}`, chain }))];
}

/**
 * Shared maps and chains: one the changed Services use in `next` but not in `prev` is new unless
 * an unchanged Service uses it (then it is in the table already); one they used in `prev` but
 * not in `next` goes unless an unchanged Service still uses it. Unchanged Services are asked for
 * their shared objects (sharedIds: no elements rendered) only while a candidate is undecided,
 * and the scan stops as soon as none is — usually at the first one.
 */
function sharedTableObjects(c: Changes, prev: Map<string, Shared>, next: Map<string, Shared>, unchanged: readonly ServiceEntry[], node: NodeRef, opts: ServiceRenderOptions): void {
  const add = new Map([...next].filter(([id]) => !prev.has(id)));
  const drop = new Map([...prev].filter(([id]) => !next.has(id)));
  for (const svc of unchanged) {
    if (add.size === 0 && drop.size === 0) break;
    for (const id of sharedIds(svc, node, opts)) add.delete(id) || drop.delete(id);
  }
  for (const o of add.values()) {
    if (o.map) c.addMaps.push(o.map);
    if (o.chain) c.addChains.push(o.chain.name);
  }
  // Rules after every new chain exists (a policy chain names its pick chain).
  for (const o of add.values()) if (o.chain) c.fillChains.push(o.chain);
  for (const o of drop.values()) {
    if (o.map) c.deleteMaps.push(o.map);
    if (o.chain) {
      c.flushChains.push(o.chain.name);
      c.deleteChains.push(o.chain.name);
    }
  }
}

function diffFragments(p: Fragment, n: Fragment, c: Changes): void {
  const elementKey = (e: ElementObj) => `${e.map ?? e.set} ${elementText(e, false)}`;
  const pe = new Map(p.elements.map((e) => [elementKey(e), e]));
  const ne = new Map(n.elements.map((e) => [elementKey(e), e]));
  for (const [k, e] of pe) if (!ne.has(k) || ne.get(k)!.value !== e.value) c.deleteElements.push(e);
  for (const [k, e] of ne) if (!pe.has(k) || pe.get(k)!.value !== e.value) c.addElements.push(e);

  // An affinity set whose timeout changed is deleted and re-added, so every chain naming it is
  // flushed and refilled even when its text is the same.
  const ps = new Map(p.sets.map((s) => [s.name, s]));
  const ns = new Map(n.sets.map((s) => [s.name, s]));
  const recreated = new Set<string>();
  for (const [name, s] of ps) {
    const now = ns.get(name);
    if (now && sameSet(s, now)) continue;
    c.deleteSets.push(s);
    if (now) recreated.add(name);
  }
  for (const [name, s] of ns) if (!ps.has(name) || recreated.has(name)) c.addSets.push(s);

  const pc = new Map(p.chains.map((ch) => [ch.name, ch]));
  const nc = new Map(n.chains.map((ch) => [ch.name, ch]));
  const namesSet = (ch: ChainSpec) => ch.rules.some((r) => [...recreated].some((s) => r.includes(`@${s} `)));
  for (const [name, ch] of pc) {
    const now = nc.get(name);
    if (!now) {
      c.flushChains.push(name);
      c.deleteChains.push(name);
    } else if (!sameRules(ch.rules, now.rules) || namesSet(now)) {
      c.flushChains.push(name);
      c.fillChains.push(now);
    }
  }
  for (const [name, ch] of nc) {
    if (pc.has(name)) continue;
    c.addChains.push(name);
    c.fillChains.push(ch);
  }
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

function sameSet(a: SetObj, b: SetObj): boolean {
  return a.type === b.type && a.timeoutSeconds === b.timeoutSeconds && (a.flags ?? []).join() === (b.flags ?? []).join();
}

/** Field-by-field equality of everything the renderer reads from a Service. */
export function sameService(a: ServiceEntry, b: ServiceEntry): boolean {
  if (a === b) return true;
  return (
    a.key === b.key &&
    a.type === b.type &&
    a.clusterIP === b.clusterIP &&
    a.loadBalancerIP === b.loadBalancerIP &&
    a.sessionAffinity === b.sessionAffinity &&
    a.affinityTimeoutSeconds === b.affinityTimeoutSeconds &&
    a.externalTrafficPolicy === b.externalTrafficPolicy &&
    a.internalTrafficPolicy === b.internalTrafficPolicy &&
    a.ports.length === b.ports.length &&
    a.ports.every((p, i) => samePort(p, b.ports[i]))
  );
}

function samePort(a: ServicePortEntry, b: ServicePortEntry): boolean {
  return (
    a.name === b.name &&
    a.protocol === b.protocol &&
    a.port === b.port &&
    a.nodePort === b.nodePort &&
    a.endpoints.length === b.endpoints.length &&
    a.endpoints.every((e, i) => {
      const f = b.endpoints[i];
      return e.ip === f.ip && e.port === f.port && e.node === f.node && e.ready === f.ready && e.serving === f.serving && e.terminating === f.terminating;
    })
  );
}
