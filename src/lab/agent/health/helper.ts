/**
 * Health-check helper: ONE long-lived child per node, started by the agent (node-checker.ts) as
 * `ip netns exec NODE_NETNS node health/helper.js` with an IPC channel, so that kubelet's
 * httpGet/tcpSocket/grpc probes come from the node's network namespace as kubelet's do. Requests {id, handler, host, timeoutMs} arrive as IPC
 * messages; each gets one reply {id, ok, message}. Exits when the agent disconnects.
 */
import { runNetCheck, type NetHandler } from './net-checks.js';

interface Request {
  id: number;
  handler: NetHandler;
  host: string;
  timeoutMs: number;
}

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('health/helper: no IPC channel (must be started by the podnet agent)\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
process.on('message', (msg: Request) => {
  runNetCheck(msg.handler, msg.host, msg.timeoutMs).then(
    (r) => send({ id: msg.id, ...r }),
    (err: Error) => send({ id: msg.id, ok: false, message: err.message }),
  );
});
