/**
 * Bootstrap child: started by the agent as `nsenter --net=/run/netns/<netns> node bootstrap.js PORTS` with
 * an IPC channel. It opens one listening socket per port *inside the pod's network namespace*
 * (a socket belongs to the namespace it was created in, whoever holds it later), hands each to
 * the agent with process.send(msg, handle), and exits when the agent disconnects. This keeps
 * the per-pod cost to sockets in the agent instead of a Node process per pod.
 *
 * PORTS is JSON: [{"port":8080,"protocol":"TCP"},{"port":5353,"protocol":"UDP"}], each with an
 * optional "host" to bind (default 0.0.0.0) and "reuseAddr" (SO_REUSEADDR, UDP).
 * Every port gets exactly one message: {port, protocol, host} with the handle, or {port, protocol, host, error};
 * on {stop: true} from the agent (it stopped waiting) the rest get none, and {stopped: true, sent}
 * tells the agent how many messages were sent before it.
 */
import net from 'node:net';
import dgram from 'node:dgram';

interface Wanted {
  port: number;
  protocol: 'TCP' | 'UDP';
  host?: string;
  reuseAddr?: boolean;
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
/** Sockets not yet handed over; messages sent (a socket or an error each). */
const unsent = new Set<net.Server | dgram.Socket>();
let sent = 0;
let stopping = false;
const handOver = (w: Wanted, sock: net.Server | dgram.Socket): void => {
  if (stopping) return void sock.close();
  unsent.delete(sock);
  sent++;
  // Our copy of the socket is closed once it is sent, so only the agent accepts on it.
  send({ port: w.port, protocol: w.protocol, host: w.host }, sock, undefined, () => sock.close());
};
// The agent gave up waiting: what is not on its way is closed, and the agent hears how many
// messages to expect before it lets us go. We never exit on our own before it disconnects: a
// channel closed while a socket is being received leaves the agent holding half a handle.
process.on('message', (msg: { stop?: boolean }) => {
  if (!msg.stop || stopping) return;
  stopping = true;
  for (const sock of unsent) sock.close();
  unsent.clear();
  send({ stopped: true, sent });
});

for (const w of wanted) {
  const fail = (err: Error): void => {
    if (stopping) return;
    sent++;
    send({ port: w.port, protocol: w.protocol, host: w.host, error: err.message });
  };
  if (w.protocol === 'TCP') {
    const server = net.createServer();
    unsent.add(server);
    server.once('error', fail);
    server.listen({ port: w.port, host: w.host ?? '0.0.0.0' }, () => handOver(w, server));
  } else {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: w.reuseAddr === true });
    unsent.add(socket);
    socket.once('error', fail);
    socket.bind(w.port, w.host ?? '0.0.0.0', () => handOver(w, socket));
  }
}
