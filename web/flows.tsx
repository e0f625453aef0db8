/**
 * Live flows: what the lab's monitor reports (server-sent events from the ui server, which tails
 * flows.jsonl), newest first, filtered by namespace, pod and verdict. The list re-renders at most
 * once per animation frame however fast flows arrive; selecting a flow fetches its `trace` and
 * draws the packet path on the topology.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, type FlowRecord, type Topology, type Trace } from './api.js';
import { nodeId, podId, svcId } from './layout.js';
import { TopologyView, type PathHop } from './topology.js';

const KEEP = 20_000;
/** Rows in the list: a screenful (the list scrolls inside its box, older rows are dropped). */
const SHOWN = 40;

export interface Flow extends FlowRecord {
  /** Arrival number: the row's key, so a batch only adds rows and removes the oldest. */
  seq: number;
}

export class FlowStore {
  items: Flow[] = [];
  total = 0;
  version = 0;

  push(flows: FlowRecord[]): void {
    for (const f of flows) this.items.push({ ...f, seq: this.total++ });
    if (this.items.length > KEEP) this.items.splice(0, this.items.length - KEEP);
    this.version++;
    window.__podnet.flowsReceived += flows.length;
  }
}

interface Filter {
  namespace: string;
  pod: string;
  verdict: string;
}

const ns = (pod: string | null) => (pod ? pod.split('/')[0] : '');

export function matches(f: FlowRecord, filter: Filter): boolean {
  if (filter.verdict && f.verdict !== filter.verdict) return false;
  if (filter.namespace && ns(f.src.pod) !== filter.namespace && ns(f.dst.pod) !== filter.namespace) return false;
  if (filter.pod && !(f.src.pod ?? f.src.ip).includes(filter.pod) && !(f.dst.pod ?? f.dst.ip).includes(filter.pod)) return false;
  return true;
}

export function FlowsView({ store, topology }: { store: FlowStore; topology: Topology | null }) {
  const [, setTick] = useState(0);
  const [filter, setFilter] = useState<Filter>({ namespace: '', pod: '', verdict: '' });
  const [selected, setSelected] = useState<FlowRecord | null>(null);
  const [trace, setTrace] = useState<{ trace: Trace; text: string } | null>(null);
  const [traceError, setTraceError] = useState<string | null>(null);
  useEffect(() => {
    let seen = -1;
    let raf = 0;
    const loop = () => {
      if (store.version !== seen) {
        seen = store.version;
        setTick(seen);
      }
      raf = requestAnimationFrame(loop);
    };
    raf = requestAnimationFrame(loop);
    return () => cancelAnimationFrame(raf);
  }, [store]);
  useEffect(() => {
    setTrace(null);
    setTraceError(null);
    if (!selected?.src.pod) return;
    getJson<{ trace: Trace; text: string }>('/api/trace', { from: selected.src.pod, to: selected.port === null ? selected.dst.ip : `${selected.dst.ip}:${selected.port}`, protocol: selected.protocol }).then(setTrace, (e: Error) => setTraceError(e.message));
  }, [selected]);

  const rows: Flow[] = [];
  for (let i = store.items.length - 1; i >= 0 && rows.length < SHOWN; i--) if (matches(store.items[i], filter)) rows.push(store.items[i]);
  const namespaces = [...new Set(topology?.pods.map((p) => p.namespace) ?? [])].sort();
  const set = (k: keyof Filter) => (e: Event) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value });
  return (
    <div class="flows">
      <div class="controls">
        <label>
          namespace{' '}
          <select id="flow-namespace" value={filter.namespace} onChange={set('namespace')}>
            <option value="">all</option>
            {namespaces.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          pod <input id="flow-pod" value={filter.pod} onInput={set('pod')} placeholder="name or IP" />
        </label>
        <label>
          verdict{' '}
          <select id="flow-verdict" value={filter.verdict} onChange={set('verdict')}>
            <option value="">all</option>
            <option>allowed</option>
            <option>denied</option>
          </select>
        </label>
        <span class="sub" id="flow-count">
          {store.total} flows received
        </span>
      </div>
      <div class="flows-body">
        <table class="flow-table" id="flow-table">
          <thead>
            <tr>
              <th>time</th>
              <th>source</th>
              <th>destination</th>
              <th>port</th>
              <th>verdict</th>
              <th>deciding policy</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <tr key={f.seq} class={`${f.verdict}${f === selected ? ' selected' : ''}`} onClick={() => setSelected(f)}>
                <td>{f.time.slice(11, 23)}</td>
                <td>{f.src.pod ?? f.src.ip}</td>
                <td>{f.dst.pod ? `${f.dst.pod} (${f.dst.ip})` : f.dst.ip}</td>
                <td>
                  {f.protocol}/{f.port ?? '-'}
                </td>
                <td class="verdict">{f.verdict}{f.direction ? ` (${f.direction})` : ''}</td>
                <td class="policies">{f.policies.join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected && (
        <section class="trace" id="trace">
          <h3>
            Packet path {selected.src.pod ?? selected.src.ip} → {selected.dst.pod ?? selected.dst.ip} {selected.protocol}/{selected.port ?? '-'}
          </h3>
          {!selected.src.pod && <p class="sub">The source is not a lab pod: no trace.</p>}
          {traceError && <div class="error">{traceError}</div>}
          {trace && topology && <TopologyView topology={topology} path={hopsOf(trace.trace, topology)} />}
          {trace && <pre id="trace-text">{trace.text}</pre>}
        </section>
      )}
    </div>
  );
}

/** The hops of a trace's first path on the topology's boxes, each with what happens on the way. */
export function hopsOf(t: Trace, topo: Topology): PathHop[] {
  const src = topo.pods.find((p) => p.key === t.from);
  const hops: PathHop[] = [{ id: podId(t.from), label: '', ok: true }];
  if (src?.node) hops.push({ id: nodeId(src.node), label: src.hostNetwork ? 'node namespace' : 'veth', ok: true });
  if (t.service) hops.push({ id: t.service.service ? svcId(t.service.service) : nodeId(t.service.node), label: `DNAT → ${t.paths[0]?.to ?? 'no endpoint'}`, ok: t.paths.length > 0 });
  const p = t.paths[0];
  if (!p) return hops;
  const by = (s: Trace['paths'][number]['egress']) =>
    s.allowedBy.length ? `allowed by ${s.allowedBy.map((r) => `${r.policy} ${r.rule}`).join(', ')}` : !s.allowed ? `isolated by ${s.selectedBy.map((r) => r.policy).join(', ')}, no rule allows it` : s.exempt ?? '';
  const route = p.route.map((r) => r.kind).join(' + ');
  const dstNode = [...p.route].reverse().find((r) => r.to)?.to;
  if (dstNode) hops.push({ id: nodeId(dstNode), label: `${route} · egress ${p.egress.allowed ? 'allowed' : 'DENIED'}`, detail: `egress: ${by(p.egress)}`, ok: p.egress.allowed });
  if (p.pod && p.egress.allowed) hops.push({ id: podId(p.pod), label: `veth · ingress ${p.ingress.allowed ? 'allowed' : 'DENIED'}`, detail: `ingress: ${by(p.ingress)}`, ok: p.ingress.allowed });
  return hops;
}
