/**
 * The records cluster DNS serves for a lab, from its state file. Headless Services answer with
 * the endpoints the Services rules hold (state.endpoints, kept current by the endpoints
 * controller): "There must be an A record for each ready endpoint" — so a pod that is not ready
 * drops out of its headless name unless publishNotReadyAddresses, and a finished one always. A
 * lab that recorded no readiness yet counts every placed pod as ready.
 */
import { labCluster } from '../api/lab-cluster.js';
import { recordedEndpoints } from '../lab/readiness.js';
import type { LabState } from '../lab/state.js';
import { CLUSTER_ZONE } from '../model/cluster-dns.js';
import { serviceView } from '../model/service-view.js';
import { buildRecordSet, type RecordSet } from './records.js';

export function labRecords(state: LabState): RecordSet {
  const cluster = labCluster(state);
  return buildRecordSet(cluster, serviceView(cluster, state, recordedEndpoints(state)), { zone: CLUSTER_ZONE });
}
