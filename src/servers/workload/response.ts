/**
 * What podnet's built-in workload server says: the HTTP response body, the UDP reply and the
 * per-request log line. Pure, so the answers are unit-tested without sockets.
 */

/** Who is answering: the pod and container a built-in server runs for. */
export interface ServerIdentity {
  namespace: string;
  pod: string;
  podIP: string;
  node: string;
  container: string;
}

export interface HttpRequestInfo {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string;
  remotePort: number;
  /** The container port the request arrived on. */
  port: number;
}

export interface UdpDatagramInfo {
  remoteAddress: string;
  remotePort: number;
  port: number;
  bytes: number;
}

/** The JSON body answered to every HTTP request (status 200). */
export function httpBody(id: ServerIdentity, req: HttpRequestInfo): Record<string, unknown> {
  return {
    pod: id.pod,
    namespace: id.namespace,
    podIP: id.podIP,
    node: id.node,
    container: id.container,
    port: req.port,
    protocol: 'TCP',
    remoteAddress: stripMappedPrefix(req.remoteAddress),
    remotePort: req.remotePort,
    method: req.method,
    path: req.path,
    headers: req.headers,
  };
}

/** The reply to every UDP datagram: one JSON line. */
export function udpReply(id: ServerIdentity, dgram: UdpDatagramInfo): string {
  return `${JSON.stringify({
    pod: id.pod,
    namespace: id.namespace,
    podIP: id.podIP,
    node: id.node,
    container: id.container,
    port: dgram.port,
    protocol: 'UDP',
    remoteAddress: stripMappedPrefix(dgram.remoteAddress),
    remotePort: dgram.remotePort,
  })}\n`;
}

/** One log line per HTTP request: `<ISO time> TCP/<port> <client> "<method> <path>" <status>`. */
export function httpLogLine(at: Date, req: HttpRequestInfo, status: number): string {
  const client = `${stripMappedPrefix(req.remoteAddress)}:${req.remotePort}`;
  return `${at.toISOString()} TCP/${req.port} ${client} "${req.method} ${oneLine(req.path)}" ${status}\n`;
}

/** One log line per UDP datagram: `<ISO time> UDP/<port> <client> <bytes> bytes`. */
export function udpLogLine(at: Date, dgram: UdpDatagramInfo): string {
  const client = `${stripMappedPrefix(dgram.remoteAddress)}:${dgram.remotePort}`;
  return `${at.toISOString()} UDP/${dgram.port} ${client} ${dgram.bytes} bytes\n`;
}

/** A free-form log line from the agent about this container (e.g. a skipped SCTP port). */
export function noteLogLine(at: Date, text: string): string {
  return `${at.toISOString()} podnet: ${oneLine(text)}\n`;
}

/** "::ffff:10.0.0.1" (an IPv4 client seen by a dual-stack socket) → "10.0.0.1". */
export function stripMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Keeps a log line one line: control characters in client-chosen text are escaped. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
