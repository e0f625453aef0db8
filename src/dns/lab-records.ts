/**
 * The records cluster DNS serves for a lab, from its state file. As CoreDNS reads what the
 * API holds, this reads what the lab's Services sync recorded (proxy/sync.ts): the allocations and
 * the EndpointSlices it derived from the pods' readiness — derived once, there. Headless Services
 * answer with those slices: "There must be an A record for each ready endpoint" — so a pod that is
 * not ready drops out of its headless name unless publishNotReadyAddresses, and a finished one
 * always. A lab whose state holds no recorded slices yet (before its first Services sync, or
 * written by an older podnet) gets them derived the same way from the recorded readiness, where
 * a lab that recorded none counts every placed pod as ready.
 */
import { labCluster } from '../api/lab-cluster.js';
import { recordedEndpoints } from '../lab/readiness.js';
import type { LabState } from '../lab/state.js';
import { CLUSTER_ZONE } from '../model/cluster-dns.js';
import { serviceView } from '../model/service-view.js';
import type { Cluster } from '../model/types.js';
import { buildRecordSet, type DnsServiceInput, type RecordSet } from './records.js';

export function labRecords(state: LabState): RecordSet {
  const cluster = labCluster(state);
  return buildRecordSet(cluster, recordedServices(cluster, state), { zone: CLUSTER_ZONE });
}

/** What of a lab's state the recorded Services come from (LabState satisfies it). */
export type RecordedServicesState = Parameters<typeof serviceView>[1] & Pick<LabState, 'endpointSlices' | 'serviceAllocations' | 'endpoints' | 'placements'>;

/** The allocations and EndpointSlices the last Services sync recorded (derived the same way when
 *  none were): what cluster DNS answers from, and what `podnet trace` predicts it answers. */
export function recordedServices(cluster: Cluster, state: RecordedServicesState): DnsServiceInput {
  if (state.endpointSlices && state.serviceAllocations) return { allocations: new Map(Object.entries(state.serviceAllocations)), slices: state.endpointSlices };
  return serviceView(cluster, state, recordedEndpoints(state));
}
