/**
 * Cluster DNS facts every consumer shares (pure): the zone, and where the kube-dns Service sits.
 */
import { formatIPv4, parseCidr } from './ip.js';

export const CLUSTER_ZONE = 'cluster.local';

/** "the 10th address of the service CIDR (10.96.0.10 by default)" */
export function kubeDnsIP(serviceCidr: string): string {
  return formatIPv4(parseCidr(serviceCidr)!.start + 10);
}
