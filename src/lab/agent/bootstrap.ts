/**
 * Bootstrap child: started by the agent as `nsenter --net=/run/netns/<netns> node bootstrap.js PORTS` with
 * an IPC channel. It opens one listening socket per port *inside the pod's network namespace*
 * (a socket belongs to the namespace it was created in, whoever holds it later), hands each to
 * the agent with process.send(msg, handle), and exits when the agent disconnects. This keeps
 * the per-pod cost to sockets in the agent instead of a Node process per pod.
 *
 * PORTS is JSON: [{"port":8080,"protocol":"TCP"},{"port":5353,"protocol":"UDP"}].
 * Every port gets exactly one message: {port, protocol} with the handle, or {port, protocol, error}.
 */
import net from 'node:net';
import dgram from 'node:dgram';

interface Wanted {
  port: number;
  protocol: 'TCP' | 'UDP';
}

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('bootstrap: no IPC channel (must be started by the podnet agent)\n');
  process.exit(2);
}
// The agent disconnects once it holds every socket; never outlive a lost agent either.
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), 30_000).unref();

const wanted = JSON.parse(process.argv[2] ?? '[]') as Wanted[];
for (const w of wanted) {
  const fail = (err: Error): void => void send({ ...w, error: err.message });
  if (w.protocol === 'TCP') {
    const server = net.createServer();
    server.once('error', fail);
    server.listen({ port: w.port, host: '0.0.0.0' }, () => {
      // Our copy of the socket is closed once it is sent, so only the agent accepts on it.
      send({ ...w }, server, undefined, () => server.close());
    });
  } else {
    const socket = dgram.createSocket('udp4');
    socket.once('error', fail);
    socket.bind(w.port, '0.0.0.0', () => {
      send({ ...w }, socket, undefined, () => socket.close());
    });
  }
}
