/** CNI 1.0 data types (https://www.cni.dev/docs/spec/), as podnet uses them. */

export const CNI_VERSION = '1.0.0';
export const SUPPORTED_VERSIONS = ['0.4.0', '1.0.0'];

/** podnet's network configuration ("type": "podnet"). */
export interface PodnetNetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** The pod interface's MTU; 1500 when absent. */
  mtu?: number;
  /** The pods' gateway: an address of the node (ADD puts it on the node's `lo`); else the IPAM result's. */
  gateway?: string;
  /** The node's namespace; absent on a real node, where it is the host's. */
  nodeNetns?: string;
  /** An IPAM plugin to delegate to when the runtime passes no "ips" (e.g. host-local). */
  ipam?: { type?: string; [key: string]: unknown };
  /** Capability arguments from the runtime: "ips" and "mac". */
  runtimeConfig?: { ips?: string[]; mac?: string; hostVeth?: string };
}

/** What the runtime passes in CNI_* environment variables. */
export interface RuntimeArgs {
  containerId: string;
  /** Path of the container's network namespace, e.g. /run/netns/NAME. */
  netns: string;
  ifName: string;
}

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: { version?: string; address: string; gateway?: string; interface?: number }[];
  routes: { dst: string; gw?: string }[];
  dns: Record<string, unknown>;
}

/** The spec's error codes that podnet reports. */
export const CNI_ERRORS = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  containerUnknown: 3,
  invalidEnv: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidNetworkConfig: 7,
} as const;

export interface CniError {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

export class CniFailure extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(msg);
  }

  toJSON(): CniError {
    return { cniVersion: CNI_VERSION, code: this.code, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}
