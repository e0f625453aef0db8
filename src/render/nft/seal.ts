/**
 * The seal around a lab (pure): one nftables table per lab in the host's root namespace,
 * `inet podnet-seal-<lab>`. The lab's only wire to the host is its host link `pn-<lab>`.
 *
 *   input   (root ns) iif pn-<lab>: ct established,related accept; everything else drop
 *           → nothing in the lab (pods, hostNetwork pods, nodes) opens a connection to the host's
 *             own addresses or its services (0.0.0.0-bound included); replies to the host's own
 *             connections (host → NodePort / LoadBalancer / Ingress) still come back
 *   forward (root ns) iif pn-<lab> drop; oif pn-<lab> drop
 *           → the host routes nothing from the lab anywhere (another lab, the host's networks)
 *             and nothing from anywhere into the lab
 *           daddr in the lab's pod / service / node / LoadBalancer ranges drop
 *           → a packet for the lab's addresses never leaves by another interface
 *
 * Cluster DNS needs none of this: its way out is a Unix socket (src/dns/forwarder.ts).
 */
import type { LabConfig } from '../../model/lab.js';

export function sealTable(lab: string): string {
  return `podnet-seal-${lab}`;
}

/** The nft script that (re)creates the lab's seal atomically. */
export function renderSeal(config: Pick<LabConfig, 'name' | 'podCidr' | 'serviceCidr' | 'nodeCidr' | 'lbCidr'>, link: string): string {
  const table = sealTable(config.name);
  const ranges = [config.podCidr, config.serviceCidr, config.nodeCidr, ...(config.lbCidr ? [config.lbCidr] : [])].join(', ');
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  chain input {`,
    `    type filter hook input priority filter - 10; policy accept;`,
    `    iifname "${link}" ct state established,related accept`,
    `    iifname "${link}" counter drop`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter - 10; policy accept;`,
    `    iifname "${link}" counter drop`,
    `    oifname "${link}" counter drop`,
    `    ip daddr { ${ranges} } counter drop`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
