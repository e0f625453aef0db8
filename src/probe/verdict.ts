/**
 * What a probe's outcome means for connectivity. Pure.
 *
 * podnet's policy data plane refuses denied connections with ICMP admin-prohibited, which a
 * socket reports as EHOSTUNREACH; a closed port answers with a TCP reset / ICMP port-unreachable
 * (ECONNREFUSED): the network let the packet through, so that counts as reachable.
 */
export type ProbeVerdict = 'open' | 'refused' | 'denied' | 'timeout' | 'error';

export interface ProbeTarget {
  host: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface ProbeRequest {
  timeoutMs: number;
  targets: ProbeTarget[];
}

export interface ProbeOutcome {
  verdict: ProbeVerdict;
  ms: number;
  /** The errno code, for 'denied' and 'error'. */
  code?: string;
  /** The first bytes of a UDP reply. */
  reply?: string;
}

export function probeVerdict(code: string | undefined): Omit<ProbeOutcome, 'ms'> {
  switch (code) {
    case 'ECONNREFUSED':
      return { verdict: 'refused' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EACCES':
    case 'EPERM':
      return { verdict: 'denied', code };
    case 'ETIMEDOUT':
      return { verdict: 'timeout' };
    default:
      return { verdict: 'error', ...(code ? { code } : {}) };
  }
}

/** Whether the network let the connection through. */
export function reachable(verdict: ProbeVerdict): boolean {
  return verdict === 'open' || verdict === 'refused';
}
