/**
 * Dial child: started as `nsenter --net=/run/netns/<netns> node dial-child.js PORT` with an IPC
 * channel by src/lab/dial.ts. It connects to localhost:PORT *inside that network namespace* (a
 * socket belongs to the namespace it was made in), hands the connected socket to its parent
 * and exits; or sends {error} with the reason the connection failed.
 */
import net from 'node:net';

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('dial: no IPC channel (must be started by podnet)\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), 15_000).unref();

const port = Number(process.argv[2]);
// As the container runtimes do for port-forward: localhost over IPv4 in the pod's namespace.
const socket = net.connect({ port, host: '127.0.0.1' });
socket.once('connect', () => {
  socket.pause();
  send({ ok: true }, socket, undefined, () => process.exit(0));
});
socket.once('error', (err: NodeJS.ErrnoException) => {
  const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
  send({ error: `dial tcp4 127.0.0.1:${port}: ${why}` }, undefined, undefined, () => process.exit(0));
});
