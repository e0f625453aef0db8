/**
 * The app: tabs over the views. Live (`podnet ui`): data from the server, refetched when the
 * server's event stream says the lab changed; flows arrive on the same stream. Report (`-o html`):
 * everything is in the boot data, nothing is fetched.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, type Boot, type Topology } from './api.js';
import { FlowStore, FlowsView } from './flows.js';
import { MatrixPanel } from './matrix-panel.js';
import { ConnlistView, DiffView, PoliciesView } from './tables.js';
import { TopologyView } from './topology.js';

type Tab = 'topology' | 'matrix' | 'flows' | 'policies' | 'connlist' | 'diff';
const TITLES: Record<Tab, string> = { topology: 'Topology', matrix: 'Policy matrix', flows: 'Flows', policies: 'Policies', connlist: 'Connectivity', diff: 'Diff' };

function initialTab(tabs: Tab[]): Tab {
  const h = location.hash.replace(/^#/, '') as Tab;
  return tabs.includes(h) ? h : tabs[0];
}

export function App({ boot }: { boot: Boot }) {
  const live = boot.kind === 'live';
  const report = boot.kind === 'report' ? boot.report : null;
  const tabs: Tab[] = live
    ? ['topology', 'matrix', ...(boot.flows ? (['flows'] as Tab[]) : []), 'policies', 'connlist']
    : ([report!.diff ? 'diff' : null, report!.matrix ? 'matrix' : null, report!.topology ? 'topology' : null, report!.policies ? 'policies' : null, report!.connlist ? 'connlist' : null].filter(Boolean) as Tab[]);
  const [tab, setTab] = useState<Tab>(() => initialTab(tabs));
  const [version, setVersion] = useState(0);
  const [topology, setTopology] = useState<Topology | null>(report?.topology ?? null);
  const [updated, setUpdated] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const store = useMemo(() => new FlowStore(), []);

  useEffect(() => {
    if (!live) return;
    const es = new EventSource('/api/events');
    es.addEventListener('changed', () => setVersion((v) => v + 1));
    es.addEventListener('flows', (e) => store.push(JSON.parse((e as MessageEvent<string>).data)));
    return () => es.close();
  }, []);
  useEffect(() => {
    if (!live) return;
    getJson<Topology>('/api/topology').then(
      (t) => {
        setTopology(t);
        setUpdated(new Date().toLocaleTimeString());
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [version]);
  useEffect(() => {
    const onHash = () => setTab(initialTab(tabs));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const subtitle = live ? (boot.lab ? `lab ${boot.lab}` : 'manifests (no lab)') : `report · ${report!.inputs.join(', ')}`;
  return (
    <div class="app" data-version={version}>
      <header>
        <h1>podnet</h1>
        <span class="sub">{subtitle}</span>
        {topology && <span class="badge" id="mode">mode: {topology.mode}{topology.offline ? ' (predicted)' : ''}</span>}
        <nav>
          {tabs.map((t) => (
            <a key={t} href={`#${t}`} id={`tab-${t}`} class={t === tab ? 'active' : ''} onClick={() => setTab(t)}>
              {TITLES[t]}
            </a>
          ))}
        </nav>
        {live && <span class="sub" id="updated">updated {updated}</span>}
      </header>
      {error && <div class="error">{error}</div>}
      <main>
        {tab === 'topology' && (topology ? <TopologyView topology={topology} /> : <p>loading…</p>)}
        {tab === 'matrix' && <MatrixPanel live={live} probes={live && boot.probes} version={version} fixed={report?.matrix ?? null} />}
        {tab === 'flows' && <FlowsView store={store} topology={topology} />}
        {tab === 'policies' && <PoliciesView fixed={report?.policies ?? null} fixedTiers={report ? (report.clusterPolicies ?? []) : null} version={version} />}
        {tab === 'connlist' && <ConnlistView fixed={report?.connlist ?? null} version={version} />}
        {tab === 'diff' && report?.diff && <DiffView diff={report.diff} />}
      </main>
    </div>
  );
}
