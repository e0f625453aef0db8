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
import { Transaction } from './txn.js';

export function sealTable(lab: string): string {
  return `podnet-seal-${lab}`;
}

/** The transaction that (re)creates the lab's seal atomically: add + delete + add, so it also
 *  replaces a seal left by an earlier run. The chains run before filter (priority filter - 10). */
export function renderSeal(config: Pick<LabConfig, 'name' | 'podCidr' | 'serviceCidr' | 'nodeCidr' | 'lbCidr'>, link: string): Transaction {
  const ranges = [config.podCidr, config.serviceCidr, config.nodeCidr, ...(config.lbCidr ? [config.lbCidr] : [])].join(', ');
  const tx = new Transaction('inet', sealTable(config.name));
  tx.add({ kind: 'table' }).delete({ kind: 'table' }).add({ kind: 'table' });
  const rule = (chain: string, text: string) => tx.add({ kind: 'rule', chain, rule: text });
  tx.add({ kind: 'chain', name: 'input', type: 'filter', hook: 'input', priority: -10 });
  rule('input', `iifname "${link}" ct state established,related accept`);
  rule('input', `iifname "${link}" counter drop`);
  tx.add({ kind: 'chain', name: 'forward', type: 'filter', hook: 'forward', priority: -10 });
  rule('forward', `iifname "${link}" counter drop`);
  rule('forward', `oifname "${link}" counter drop`);
  rule('forward', `ip daddr { ${ranges} } counter drop`);
  return tx;
}

/** Removes the lab's seal if it is there: `add table` first makes the delete succeed either way. */
export function removeSeal(lab: string): Transaction {
  return new Transaction('inet', sealTable(lab)).add({ kind: 'table' }).delete({ kind: 'table' });
}
