// What the lab's callers of syncServices do (lab/lab.ts reconcile, the endpoints controller):
// record what the sync derived into the state they own — here without saving it to disk.
import type { Host } from '../../src/host/host.js';
import type { Nft } from '../../src/host/nft.js';
import { syncServices, type ProxyReport } from '../../src/proxy/sync.js';
import type { LabState } from '../../src/lab/state.js';
import type { PodStatusLookup } from '../../src/model/endpoints.js';
import type { Cluster } from '../../src/model/types.js';

export async function syncInto(host: Host, state: LabState, cluster: Cluster, podStatus: PodStatusLookup, nft?: Nft): Promise<ProxyReport> {
  const report = await syncServices(host, state, cluster, podStatus, { ...(nft ? { nft } : {}), beforeApply: (pending) => Object.assign(state, pending) });
  Object.assign(state, report.record);
  return report;
}
