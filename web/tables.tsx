/** Policies (what each selects and allows), the connlist, and a diff's gained/lost connections. */
import { useEffect, useState } from 'preact/hooks';
import type { ConnLine } from '../src/policy/connlist.js';
import type { ConnDiff } from '../src/policy/diff.js';
import { getJson, type ClusterPolicySummary, type PolicySummary } from './api.js';

function useData<T>(path: string, fixed: T | null, version: number): T | null {
  const [data, setData] = useState<T | null>(fixed);
  useEffect(() => {
    if (fixed === null) getJson<T>(path).then(setData, () => setData(null));
  }, [version]);
  return data;
}

const Pods = ({ pods }: { pods: string[] }) => <span class="pods">{pods.length === 0 ? 'no pods' : pods.join(', ')}</span>;

/** A policy's rules, one row each: where, the action (cluster policies), peers, ports, matched pods. */
const Rules = ({ rules }: { rules: { rule: string; action?: string; peers: string[]; ports: string; pods: string[] }[] }) => (
  <table>
    <tbody>
      {rules.map((r) => (
        <tr key={r.rule}>
          <td class="sub">{r.rule}</td>
          {r.action !== undefined && <td class={r.action === 'Deny' ? 'deny' : ''}>{r.action}</td>}
          <td>{r.peers.join('; ')}</td>
          <td>{r.ports}</td>
          <td>
            <Pods pods={r.pods} />
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

/** One cluster policy: its tier and priority, its subject, and its rules in order with their actions. */
const ClusterPolicy = ({ p }: { p: ClusterPolicySummary }) => (
  <section class="policy tier" key={p.key}>
    <h3>
      {p.key} <span class="sub">{p.priority === null ? `${p.tier} tier` : `${p.tier} tier, priority ${p.priority}`} · {p.file}</span>
    </h3>
    <p>
      subject <code>{p.subject}</code>: <Pods pods={p.selects} />
    </p>
    {(['ingress', 'egress'] as const).map((dir) =>
      p[dir].length === 0 ? null : (
        <div key={dir}>
          <h4>{dir === 'ingress' ? 'rules for traffic in' : 'rules for traffic out'} (the first that matches decides)</h4>
          <Rules rules={p[dir]} />
        </div>
      ),
    )}
  </section>
);

export function PoliciesView({ fixed, fixedTiers, version }: { fixed: PolicySummary[] | null; fixedTiers: ClusterPolicySummary[] | null; version: number }) {
  const policies = useData('/api/policies', fixed, version);
  const tiers = useData('/api/cluster-policies', fixedTiers, version);
  if (!policies || !tiers) return <p>loading…</p>;
  const [admin, baseline] = [tiers.filter((t) => t.tier === 'Admin'), tiers.filter((t) => t.tier === 'Baseline')];
  return (
    <div class="policies" id="view-policies">
      {admin.length > 0 && (
        <div id="tier-admin">
          <h2>Admin tier (evaluated first; Pass hands on to NetworkPolicy)</h2>
          {admin.map((p) => (
            <ClusterPolicy p={p} key={p.key} />
          ))}
        </div>
      )}
      {tiers.length > 0 && <h2>NetworkPolicies</h2>}
      {policies.length === 0 && <p>No NetworkPolicies: no pod is isolated{tiers.length > 0 ? ' by one; the cluster policies above and below still decide' : ', every connection is allowed'}.</p>}
      {policies.map((p) => (
        <section class="policy" key={p.key}>
          <h3>
            {p.key} <span class="sub">{p.file}</span>
          </h3>
          <p>
            selects <code>{p.podSelector === '{}' ? `every pod in ${p.key.split('/')[0]}` : `{${p.podSelector}}`}</code> for {p.types.join(' and ') || 'nothing'}: <Pods pods={p.selects} />
          </p>
          {(['ingress', 'egress'] as const).map((dir) =>
            p.types.includes(dir === 'ingress' ? 'Ingress' : 'Egress') ? (
              <div key={dir}>
                <h4>{dir === 'ingress' ? 'allows in from' : 'allows out to'}</h4>
                {p[dir].length === 0 ? <p class="deny">nothing (all {dir} of the selected pods is denied)</p> : <Rules rules={p[dir]} />}
              </div>
            ) : null,
          )}
        </section>
      ))}
      {baseline.length > 0 && (
        <div id="tier-baseline">
          <h2>Baseline tier (for what no NetworkPolicy isolates; what it leaves is allowed)</h2>
          {baseline.map((p) => (
            <ClusterPolicy p={p} key={p.key} />
          ))}
        </div>
      )}
    </div>
  );
}

const ConnTable = ({ lines, id }: { lines: ConnLine[]; id: string }) => (
  <table class="conns" id={id}>
    <thead>
      <tr>
        <th>source</th>
        <th>destination</th>
        <th>connections</th>
      </tr>
    </thead>
    <tbody>
      {lines.map((l) => (
        <tr key={`${l.src}>${l.dst}`}>
          <td>{l.src}</td>
          <td>{l.dst}</td>
          <td>{l.conn}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

export function ConnlistView({ fixed, version }: { fixed: ConnLine[] | null; version: number }) {
  const lines = useData('/api/connlist', fixed, version);
  if (!lines) return <p>loading…</p>;
  return (
    <div>
      <p class="sub">{lines.length} allowed workload connections (np-guard connlist form)</p>
      <ConnTable lines={lines} id="connlist" />
    </div>
  );
}

export function DiffView({ diff }: { diff: ConnDiff }) {
  return (
    <div class="diff" id="view-diff">
      <p>
        <b class="gained">{diff.gained.length} gained</b> · <b class="lost">{diff.lost.length} lost</b> · <b>{diff.changed.length} changed</b>
      </p>
      <h3 class="gained">Gained</h3>
      <ConnTable lines={diff.gained} id="gained" />
      <h3 class="lost">Lost</h3>
      <ConnTable lines={diff.lost} id="lost" />
      <h3>Changed</h3>
      <table class="conns" id="changed">
        <tbody>
          {diff.changed.map((c) => (
            <tr key={`${c.src}>${c.dst}`}>
              <td>{c.src}</td>
              <td>{c.dst}</td>
              <td>
                {c.before} → {c.after}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
