/**
 * What a trace looks at, computed purely: the cluster with every pod placed, the lab's nodes and
 * mode, the service table the nodes' nftables hold, and the cluster DNS records. From a running
 * lab's state (the tables it applied), or offline from manifests with the placement and
 * allocations a fresh `podnet up` would make (src/model/lab.ts, src/model/service-view.ts).
 */
import { readCluster } from '../api/cluster.js';
import type { RawObject } from '../api/load.js';
import { recordedServices, type RecordedServicesState } from '../dns/lab-records.js';
import { buildRecordSet, type RecordSet } from '../dns/records.js';
import { labCluster } from '../api/lab-cluster.js';
import { CLUSTER_ZONE, kubeDnsIP } from '../model/cluster-dns.js';
import { placePods, planNodes, type LabConfig, type LabNode, type PlacedPod } from '../model/lab.js';
import type { ServiceTable } from '../model/service-table.js';
import type { PodStatusLookup } from '../model/endpoints.js';
import { serviceView } from '../model/service-view.js';
import type { Cluster } from '../model/types.js';
import type { Semantics } from '../policy/semantics.js';
import type { AttachmentRecord } from '../lab/attachments.js';
import { recordedEndpoints } from '../lab/readiness.js';
import { secondaryFromAnnotations, secondaryFromRecords, type SecondaryAddress } from './secondary.js';

export interface TraceWorld {
  config: LabConfig;
  /** `--semantics`: judge policy in this profile instead of the lab's (config.semantics). */
  semantics?: Semantics;
  nodes: LabNode[];
  cluster: Cluster;
  placements: PlacedPod[];
  /** The service table rendered into every node's `ip podnet` table. */
  table: ServiceTable;
  /** Cluster DNS records; null when the lab runs without cluster DNS. */
  dns: RecordSet | null;
  dnsServer: string | null;
  /** Nodes and placements are predicted from manifests, not read from a running lab. */
  offline: boolean;
  /** Addresses of pods' secondary interfaces (Multus-style attachments). */
  secondary?: SecondaryAddress[];
}

/** What of a lab's state a trace needs (LabState satisfies it). */
export interface TraceLabState extends Pick<RecordedServicesState, 'endpointSlices' | 'endpoints'> {
  config: LabConfig;
  nodes: LabNode[];
  placements: PlacedPod[];
  objects: RawObject[];
  serviceAllocations?: Record<string, import('../model/service-table.js').ServiceAllocation>;
  proxyTable?: ServiceTable | null;
  attachments?: Record<string, AttachmentRecord[]>;
}

/**
 * A running lab: the service table it last applied (what the kernel has), else the one it would
 * compute; DNS records as its DNS server builds them (dns/lab-records.ts: from the recorded
 * EndpointSlices; before any sync, every placed pod counts as ready).
 */
export function labWorld(state: TraceLabState, podStatus?: PodStatusLookup): TraceWorld {
  const cluster = labCluster(state);
  const dnsView = recordedServices(cluster, state);
  const table = state.proxyTable ?? serviceView(cluster, state, podStatus ?? recordedEndpoints(state)).table;
  return {
    config: state.config,
    nodes: state.nodes,
    cluster,
    placements: state.placements,
    table,
    dns: state.config.dns ? buildRecordSet(cluster, dnsView, { zone: CLUSTER_ZONE }) : null,
    dnsServer: state.config.dns ? kubeDnsIP(state.config.serviceCidr) : null,
    offline: false,
    secondary: secondaryFromRecords(state.attachments ?? {}),
  };
}

/** Manifests only: nodes, placement and allocations as `podnet up` with `config` would make them. */
export function offlineWorld(config: LabConfig, objects: RawObject[]): TraceWorld {
  const base = { config, objects, placements: [] as PlacedPod[] };
  const nodes = planNodes(config, readCluster(objects, { podCidr: config.podCidr }).nodes);
  const cluster0 = labCluster({ ...base, nodes });
  const { placed } = placePods(config.name, cluster0.pods, nodes);
  const world = labWorld({ ...base, nodes, placements: placed });
  return { ...world, offline: true, secondary: secondaryFromAnnotations(world.cluster) };
}
