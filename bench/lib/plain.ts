/**
 * Reference topologies built by hand, without podnet, for `datapath --plain`: they show what the
 * kernel's bridge, forwarding and VXLAN cost on this machine, so podnet's paths can be judged
 * against the same topology rather than only against a bare veth pair. All addresses are
 * private to the benchmark's own namespaces.
 */
import { loadTablesInto } from './lab.js';
import { must, type Resources } from './sys.js';

export interface Endpoints {
  from: string;
  to: string;
  toIp: string;
}

async function batch(netns: string | null, lines: string[]): Promise<void> {
  await must(['ip', ...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

async function namespaces(res: Resources, names: string[]): Promise<void> {
  res.addNetns(...names);
  await batch(null, names.map((n) => `netns add ${n}`));
  for (const n of names) await batch(n, ['link set lo up']);
}

/** The reference of every ratio: two namespaces joined by one veth pair, nothing else. */
export async function plainVeth(res: Resources, prefix: string): Promise<Endpoints> {
  const [a, b] = [`${prefix}-va`, `${prefix}-vb`];
  await namespaces(res, [a, b]);
  await batch(a, [`link add eth0 type veth peer name eth0 netns ${b}`, 'addr add 10.99.0.1/24 dev eth0', 'link set eth0 up']);
  await batch(b, ['addr add 10.99.0.2/24 dev eth0', 'link set eth0 up']);
  return { from: a, to: b, toIp: '10.99.0.2' };
}

/**
 * Two namespaces on a Linux bridge in a third (the same-node shape, no podnet). With `hooks`, the
 * bridge's namespace also holds podnet's (empty) Services and NetworkPolicy tables: the same
 * netfilter cost as a lab node, without podnet's topology.
 */
export async function plainBridge(res: Resources, prefix: string, hooks = false): Promise<Endpoints> {
  const t = hooks ? 'h' : 'b';
  const [br, a, b] = [`${prefix}-${t}n`, `${prefix}-${t}1`, `${prefix}-${t}2`];
  await namespaces(res, [br, a, b]);
  await batch(br, ['link add br0 type bridge', 'link set br0 up', `link add h1 type veth peer name eth0 netns ${a}`, 'link set h1 master br0 up', `link add h2 type veth peer name eth0 netns ${b}`, 'link set h2 master br0 up']);
  await batch(a, ['addr add 10.98.0.1/24 dev eth0', 'link set eth0 up']);
  await batch(b, ['addr add 10.98.0.2/24 dev eth0', 'link set eth0 up']);
  if (hooks) await loadTablesInto(br, 'node-1', '10.98.0.254', '10.98.0.0/16');
  return { from: a, to: b, toIp: '10.98.0.2' };
}

/**
 * pod — node — node — pod with veths only and static routes: the fewest hops a cross-node path
 * can have (podnet's adds the underlay segment between the nodes: macvlans on a shared lower device).
 * With `vxlan`, the nodes talk through a VXLAN device (MTU 1450) over their veth instead. With
 * `hooks`, both nodes hold podnet's (empty) Services and NetworkPolicy tables.
 */
export async function plainCrossNode(res: Resources, prefix: string, vxlan: boolean, hooks = false): Promise<Endpoints> {
  const t = `${vxlan ? 'x' : 'm'}${hooks ? 'h' : ''}`;
  const [p1, n1, n2, p2] = [`${prefix}-${t}p1`, `${prefix}-${t}n1`, `${prefix}-${t}n2`, `${prefix}-${t}p2`];
  await namespaces(res, [p1, n1, n2, p2]);
  const mtu = vxlan ? 1450 : 1500;
  // Underlay 10.95.0.0/24 between the nodes; pods 10.94.1.0/24 on n1 and 10.94.2.0/24 on n2;
  // VXLAN: the tunnel devices carry 10.93.0.0/24.
  await batch(n1, [
    `link add pod mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${p1}`,
    'addr add 10.94.1.1/24 dev pod',
    'link set pod up',
    `link add ul type veth peer name ul netns ${n2}`,
    'addr add 10.95.0.1/24 dev ul',
    'link set ul up',
  ]);
  await batch(n2, [`link add pod mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${p2}`, 'addr add 10.94.2.1/24 dev pod', 'link set pod up', 'addr add 10.95.0.2/24 dev ul', 'link set ul up']);
  for (const [n, self, peer, remotePods, vtep, peerVtep] of [
    [n1, '10.95.0.1', '10.95.0.2', '10.94.2.0/24', '10.93.0.1', '10.93.0.2'],
    [n2, '10.95.0.2', '10.95.0.1', '10.94.1.0/24', '10.93.0.2', '10.93.0.1'],
  ] as const) {
    const lines = vxlan
      ? [`link add vx0 type vxlan id 1 local ${self} remote ${peer} dev ul dstport 8472`, 'link set vx0 mtu 1450', `addr add ${vtep}/24 dev vx0`, 'link set vx0 up', `route add ${remotePods} via ${peerVtep} dev vx0`]
      : [`route add ${remotePods} via ${peer} dev ul`];
    await batch(n, lines);
    await must(['ip', 'netns', 'exec', n, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  }
  await batch(p1, ['addr add 10.94.1.2/24 dev eth0', 'link set eth0 up', 'route add default via 10.94.1.1']);
  await batch(p2, ['addr add 10.94.2.2/24 dev eth0', 'link set eth0 up', 'route add default via 10.94.2.1']);
  if (hooks) {
    await loadTablesInto(n1, 'node-1', '10.95.0.1', '10.94.0.0/16');
    await loadTablesInto(n2, 'node-2', '10.95.0.2', '10.94.0.0/16');
  }
  return { from: p1, to: p2, toIp: '10.94.2.2' };
}
