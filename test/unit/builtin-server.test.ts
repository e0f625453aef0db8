/** The pure parts of the node agent and its built-in server: answers, log lines, control
 * messages, restart policy and the bootstrap limiter. */
import { describe, expect, it } from 'vitest';
import {
  httpBody, httpLogLine, noteLogLine, stripMappedPrefix, udpLogLine, udpReply, type ServerIdentity,
} from '../../src/servers/workload/response.js';
import { containerArgv, isCommandContainer, parseRequest } from '../../src/lab/agent/protocol.js';
import {
  BACKOFF_BASE_MS, BACKOFF_CAP_MS, RESET_AFTER_MS, exitCodeOf, nextFailureCount, restartDelayMs, shouldRestart,
} from '../../src/lab/agent/restart.js';
import { Limiter } from '../../src/lab/agent/limit.js';

const id: ServerIdentity = { namespace: 'shop', pod: 'web-1', podIP: '10.244.1.5', node: 'node-a', container: 'nginx' };
const req = {
  method: 'POST', path: '/api?q=1', headers: { host: 'web', 'x-a': 'b' },
  remoteAddress: '::ffff:10.244.2.7', remotePort: 40000, port: 8080,
};
const at = new Date('2024-05-01T12:00:00.000Z');

describe('built-in server answers', () => {
  it('HTTP body names the pod, the container and the client', () => {
    expect(httpBody(id, req)).toEqual({
      pod: 'web-1', namespace: 'shop', podIP: '10.244.1.5', node: 'node-a', container: 'nginx', port: 8080,
      protocol: 'TCP', remoteAddress: '10.244.2.7', remotePort: 40000, method: 'POST', path: '/api?q=1',
      headers: { host: 'web', 'x-a': 'b' },
    });
  });

  it('UDP reply is one JSON line with the pod name', () => {
    const line = udpReply(id, { remoteAddress: '10.244.2.7', remotePort: 53000, port: 5353, bytes: 4 });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ pod: 'web-1', namespace: 'shop', podIP: '10.244.1.5', protocol: 'UDP', port: 5353, remotePort: 53000 });
  });

  it('strips the IPv4-mapped prefix only from IPv4-mapped addresses', () => {
    expect(stripMappedPrefix('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(stripMappedPrefix('::ffff:abcd')).toBe('::ffff:abcd');
    expect(stripMappedPrefix('fe80::1')).toBe('fe80::1');
  });
});

describe('log lines', () => {
  it('one line per HTTP request', () => {
    expect(httpLogLine(at, req, 200)).toBe('2024-05-01T12:00:00.000Z TCP/8080 10.244.2.7:40000 "POST /api?q=1" 200\n');
  });

  it('one line per datagram', () => {
    expect(udpLogLine(at, { remoteAddress: '10.0.0.1', remotePort: 1, port: 53, bytes: 12 })).toBe(
      '2024-05-01T12:00:00.000Z UDP/53 10.0.0.1:1 12 bytes\n',
    );
  });

  it('client-chosen text cannot break a line', () => {
    const line = httpLogLine(at, { ...req, path: '/a\nb\r' }, 200);
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain('/a\\x0ab\\x0d');
    expect(noteLogLine(at, 'x\ny')).toBe('2024-05-01T12:00:00.000Z podnet: x\\x0ay\n');
  });
});

const podSpec = {
  key: 'shop/web-1', hash: 'abc', namespace: 'shop', name: 'web-1', node: 'node-a', ip: '10.244.1.5', netns: 'pn-web-1',
  containers: [{ name: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
};

describe('control messages', () => {
  it('parses status and shutdown', () => {
    expect(parseRequest('{"op":"status"}')).toEqual({ request: { op: 'status' } });
    expect(parseRequest('{"op":"shutdown"}')).toEqual({ request: { op: 'shutdown' } });
  });

  it('parses a sync, defaulting the port protocol to TCP', () => {
    const pod = { ...podSpec, netns: null, containers: [{ name: 'c', command: ['sh'], args: ['-c', 'true'], env: { A: '1' }, stdin: 'once', tty: true, ports: [{ containerPort: 53 }] }], restartPolicy: 'Never' };
    const parsed = parseRequest(JSON.stringify({ op: 'sync', pods: [pod] }));
    expect(parsed).toEqual({ request: { op: 'sync', pods: [{ ...pod, containers: [{ ...pod.containers[0], ports: [{ containerPort: 53, protocol: 'TCP' }] }] }] } });
  });

  it('rejects malformed requests with the offending paths', () => {
    expect(parseRequest('nope')).toEqual({ error: 'request is not valid JSON' });
    expect(parseRequest('[]')).toEqual({ error: 'request must be a JSON object' });
    expect(parseRequest('{"op":"dance"}')).toEqual({ error: 'unknown op "dance"' });
    expect(parseRequest('{"op":"sync"}')).toEqual({ error: 'sync: pods must be an array' });
    const bad = { ...podSpec, key: 'x/y', restartPolicy: 'Sometimes', containers: [{ name: 'a', command: 'ls', stdin: true, tty: true, ports: [{ containerPort: 70000, protocol: 'TCP' }, { containerPort: 1, protocol: 'ICMP' }] }] };
    const r = parseRequest(JSON.stringify({ op: 'sync', pods: [bad] }));
    expect('error' in r && r.error.split('; ')).toEqual([
      'sync: pods[0].key: must be "shop/web-1"',
      'pods[0].restartPolicy: must be Always, OnFailure or Never',
      'pods[0].containers[0].command: must be an array of strings',
      'pods[0].containers[0].stdin: must be "open" or "once"',
      'pods[0].containers[0].tty: must be true, with stdin',
      'pods[0].containers[0].ports[0].containerPort: must be an integer 1-65535',
      'pods[0].containers[0].ports[1].protocol: must be TCP, UDP or SCTP',
    ]);
  });

  it('rejects duplicate pods and duplicate container names', () => {
    const dup = parseRequest(JSON.stringify({ op: 'sync', pods: [podSpec, podSpec] }));
    expect('error' in dup && dup.error).toContain('duplicate pod key shop/web-1');
    const twice = { ...podSpec, containers: [podSpec.containers[0], podSpec.containers[0]] };
    const r = parseRequest(JSON.stringify({ op: 'sync', pods: [twice] }));
    expect('error' in r && r.error).toContain('pods[0].containers: names must be unique');
  });

  it('a container runs a command only when it has one; args alone mean the built-in server', () => {
    expect(isCommandContainer({ name: 'a', ports: [] })).toBe(false);
    expect(isCommandContainer({ name: 'a', command: [], ports: [] })).toBe(false);
    expect(isCommandContainer({ name: 'a', args: ['netexec'], ports: [] })).toBe(false);
    expect(isCommandContainer({ name: 'a', command: ['sleep'], ports: [] })).toBe(true);
    expect(containerArgv({ name: 'a', command: ['sh', '-c'], args: ['echo hi'], ports: [] })).toEqual(['sh', '-c', 'echo hi']);
  });
});

describe('restart policy', () => {
  it('follows restartPolicy (default Always)', () => {
    expect(shouldRestart(undefined, 0)).toBe(true);
    expect(shouldRestart('Always', 0)).toBe(true);
    expect(shouldRestart('OnFailure', 0)).toBe(false);
    expect(shouldRestart('OnFailure', 1)).toBe(true);
    expect(shouldRestart('OnFailure', 137)).toBe(true);
    expect(shouldRestart('Never', 1)).toBe(false);
  });

  it('backs off exponentially up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 100].map(restartDelayMs);
    expect(delays[0]).toBe(BACKOFF_BASE_MS);
    expect(delays[1]).toBe(2 * BACKOFF_BASE_MS);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
    expect(delays[delays.length - 1]).toBe(BACKOFF_CAP_MS);
  });

  it("uses kubelet's figures: 10 s, doubling, capped at 5 min; reset after 10 min running", () => {
    expect([1, 2, 3, 5, 6, 9].map(restartDelayMs)).toEqual([10_000, 20_000, 40_000, 160_000, 300_000, 300_000]);
    expect(RESET_AFTER_MS).toBe(600_000);
  });

  it('forgets past failures after a long enough run', () => {
    expect(nextFailureCount(0, 10)).toBe(1);
    expect(nextFailureCount(4, 10)).toBe(5);
    expect(nextFailureCount(4, RESET_AFTER_MS)).toBe(1);
  });

  it('reports a signal as 128 + its number', () => {
    expect(exitCodeOf(3, undefined)).toBe(3);
    expect(exitCodeOf(null, 9)).toBe(137);
  });
});

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, in order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(n);
      running--;
      return n * 10;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => limiter.run(task(n))));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees its slot when a task fails', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'ok')).toBe('ok');
    expect(() => new Limiter(0)).toThrow();
  });
});
