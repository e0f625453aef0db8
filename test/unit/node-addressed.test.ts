/**
 * nodeAddressed (src/lab/agent/sockets.ts): which sockets the agent opens for a pod's built-in
 * ports. A hostNetwork pod's UDP port gets one bound to the pod's IP (its node's address) beside
 * the wildcard one, both with SO_REUSEADDR, so that a datagram sent to the node's address is
 * answered from that address; everything else is one wildcard socket per port, as before.
 */
import { describe, expect, it } from 'vitest';
import { nodeAddressed, type WantedPort } from '../../src/lab/agent/sockets.js';

const ports: WantedPort[] = [
  { port: 36363, protocol: 'TCP' },
  { port: 34345, protocol: 'UDP' },
  { port: 34346, protocol: 'UDP' },
];

describe('nodeAddressed: the sockets of a pod\'s built-in ports', () => {
  it('a pod on the pod network: one wildcard socket per port, unchanged', () => {
    expect(nodeAddressed(ports)).toEqual(ports);
    expect(nodeAddressed(ports, '')).toEqual(ports);
  });

  it('a hostNetwork pod: each UDP port also bound to the node\'s address, both sharing the port', () => {
    expect(nodeAddressed(ports, '100.102.92.11')).toEqual([
      { port: 36363, protocol: 'TCP' },
      { port: 34345, protocol: 'UDP', reuseAddr: true },
      { port: 34345, protocol: 'UDP', host: '100.102.92.11', reuseAddr: true },
      { port: 34346, protocol: 'UDP', reuseAddr: true },
      { port: 34346, protocol: 'UDP', host: '100.102.92.11', reuseAddr: true },
    ]);
  });

  it('TCP is left alone: an accepted connection answers from the address it was made to', () => {
    expect(nodeAddressed([{ port: 80, protocol: 'TCP' }], '100.102.92.10')).toEqual([{ port: 80, protocol: 'TCP' }]);
  });

  it('does not change the list it is given', () => {
    const given = structuredClone(ports);
    nodeAddressed(given, '100.102.92.10');
    expect(given).toEqual(ports);
  });
});
