/**
 * The service table: what kube-proxy needs to know, computed from Services, EndpointSlices and
 * pods (pure). The EndpointSlice controller and IP/port allocation produce it; the nftables
 * renderer consumes it. Nothing here knows about nftables or the host.
 */
import type { Protocol, ServiceType } from './types.js';

/** One backend of one service port: a pod IP and the port it listens on. */
export interface ServiceEndpoint {
  ip: string;
  port: number;
  /** The node the endpoint runs on (for externalTrafficPolicy/internalTrafficPolicy Local). */
  node: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** "ns/name" of the pod, when the endpoint is a pod. */
  podKey?: string;
}

export interface ServicePortEntry {
  /** The Service port's name ('' when unnamed). */
  name: string;
  protocol: Protocol;
  port: number;
  nodePort?: number;
  endpoints: ServiceEndpoint[];
}

export interface ServiceEntry {
  /** "ns/name" */
  key: string;
  type: ServiceType;
  /** Absent for headless and ExternalName Services: they get no VIP. */
  clusterIP?: string;
  loadBalancerIP?: string;
  ports: ServicePortEntry[];
  sessionAffinity: 'None' | 'ClientIP';
  /** sessionAffinityConfig.clientIP.timeoutSeconds (default 10800). */
  affinityTimeoutSeconds: number;
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
}

export interface ServiceTable {
  services: ServiceEntry[];
}

/** What allocation decided for a Service; kept in lab state so it survives apply. */
export interface ServiceAllocation {
  clusterIP?: string;
  /** Service port name ('' when unnamed) → node port. */
  nodePorts: Record<string, number>;
  loadBalancerIP?: string;
}

export const DEFAULT_AFFINITY_TIMEOUT = 10800;
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;
