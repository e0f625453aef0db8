/**
 * The container sandbox and the lab's seal, attacked the way a hostile manifest would: a pod
 * tries to read /etc/shadow, write under /etc, see and signal the agent, enter its node's network
 * namespace, reach its own lab's and another lab's agent sockets, connect to a service the test
 * binds on the host's 0.0.0.0, and escalate through a setuid binary — every attempt fails. A
 * well-behaved pod (runAsUser, capabilities dropped and added, an emptyDir shared by two
 * containers, a read-only root) works. Needs root, `ip`, `nft`, the built launcher (npm run build).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAddress } from '../../src/render/lab-network.js';
import { volumesDir } from '../../src/lab/agent/sandbox.js';
import { CAN_RUN_LAB, TestLab, until } from './helpers.js';

const T = 180_000;

const pod = (name: string, spec: string) => `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  nodeName: node-1\n${spec}`;

/**
 * Runs `cleanup` also when the test process is stopped (SIGTERM, SIGINT, SIGHUP: vitest killing its
 * worker) or exits without its afterAll, then lets the signal end the process as it would have.
 */
function onStop(cleanup: () => void): void {
  process.once('exit', cleanup);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanup();
      process.kill(process.pid, sig);
    });
  }
}

describe.skipIf(!CAN_RUN_LAB)('container sandbox and sealed lab (root, real namespaces)', () => {
  const lab = new TestLab('sbx');
  const other = new TestLab('sbx');
  /**
   * A setuid-root `id` in the nonroot pod's emptyDir: seen by the container as /suid/id-suid,
   * kept on the host inside the lab's own state root (a 0700 directory under os.tmpdir(), so no
   * host user but root can reach it even if this file never gets to clean up), removed by the
   * lab's cleanup and, should the test process be stopped, by the handlers below.
   */
  const suid = () => join(volumesDir(lab.stateDir, { namespace: 'default', name: 'nonroot' } as Parameters<typeof volumesDir>[1]), 'bin', 'id-suid');
  const marker = `/etc/podnet-${lab.name}-pwned`;
  let server: net.Server;
  let port = 0;
  let hostLinkIP = '';

  const run = async (podRef: string, script: string) => lab.exec(podRef, ['sh', '-c', script]);

  beforeAll(async () => {
    onStop(() => {
      rmSync(suid(), { force: true });
      rmSync(marker, { force: true });
    });
    server = net.createServer((s) => s.end('host service\n'));
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    port = (server.address() as net.AddressInfo).port;
    const file = join(lab.stateRoot, 'pods.yaml');
    writeFileSync(
      file,
      pod('hostile', `  containers:\n  - {name: c, image: x, command: [sleep, '3600']}\n`) +
        pod('nonroot', `  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  volumes: [{name: bin, emptyDir: {}}]\n  containers:\n  - {name: c, image: x, command: [sleep, '3600'], volumeMounts: [{name: bin, mountPath: /suid}]}\n`) +
        pod(
          'good',
          `  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000}
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: writer
    image: x
    command: [sh, -c, 'echo from-writer > /data/note; exec sleep 3600']
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: shared, mountPath: /data}]
  - name: web
    image: x
    command: [node, -e, 'require("http").createServer((q, s) => s.end(require("fs").readFileSync("/data/note"))).listen(80)']
    ports: [{containerPort: 80}]
    securityContext: {runAsUser: 0, readOnlyRootFilesystem: true, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}
    volumeMounts: [{name: shared, mountPath: /data, readOnly: true}]
`,
        ) +
        pod('hostnet', `  hostNetwork: true\n  containers:\n  - {name: c, image: x, command: [sleep, '3600']}\n`) +
        pod('strict', `  securityContext: {runAsNonRoot: true}\n  containers:\n  - {name: c, image: x, command: [sleep, '3600']}\n`),
    );
    await Promise.all([lab.up(['--nodes', '1', '--dns', '-f', file]), other.up(['--nodes', '1'])]);
    const state = JSON.parse(readFileSync(join(lab.stateDir, 'lab.json'), 'utf8')) as { config: { nodeCidr: string } };
    hostLinkIP = hostAddress(state.config.nodeCidr);
    copyFileSync('/usr/bin/id', suid());
    chmodSync(suid(), 0o4755);
  }, T);

  afterAll(async () => {
    server?.close();
    rmSync(suid(), { force: true });
    rmSync(marker, { force: true });
    expect([...(await lab.cleanup()), ...(await other.cleanup())]).toEqual([]);
    // `down` removed the seal with the lab.
    expect(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).not.toMatch(new RegExp(`podnet-seal-(${lab.name}|${other.name})\\b`));
  }, T);

  it('cannot read the host\'s /etc/shadow nor write under /etc', async () => {
    const r = await run('hostile', `cat /etc/shadow; echo pwned > ${marker}; cat ${marker}`);
    expect(r.stdout).not.toMatch(/root:/);
    expect(existsSync(marker)).toBe(false); // the write went to the container's own layer
    expect(r.stdout).toContain('pwned');
  }, T);

  it('sees only its own processes and cannot signal the agent or the test', async () => {
    const agentPid = Number(readFileSync(join(lab.stateDir, 'agents', 'node-1.pid'), 'utf8'));
    const r = await run('hostile', `ls /proc | grep -c '^[0-9]'; kill -9 ${agentPid} || echo no-agent; kill -0 ${process.pid} || echo no-test`);
    expect(r.stdout).toContain('no-agent');
    expect(r.stdout).toContain('no-test');
    expect(Number(r.stdout.split('\n')[0])).toBeLessThan(10);
    expect(existsSync(`/proc/${agentPid}`)).toBe(true);
    expect(execFileSync('hostname', { encoding: 'utf8' }).trim()).not.toBe('hostile');
    expect((await run('hostile', 'hostname')).stdout.trim()).toBe('hostile');
  }, T);

  it('cannot enter its node\'s network namespace nor change any nft table', async () => {
    const r = await run('hostile', `ip netns exec ${lab.nodeNetns('node-1')} nft list tables; ls /run/netns; nft flush ruleset; echo done`);
    expect(r.stdout.trim()).toBe('done');
    expect(r.stderr).toMatch(/No such file|Operation not permitted|cannot/i);
    expect(execFileSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), 'nft', 'list', 'tables'], { encoding: 'utf8' })).toMatch(/podnet/);
    // A hostNetwork pod shares its node's network namespace, but without CAP_NET_ADMIN over it.
    const h = await run('hostnet', 'nft flush ruleset; ip route del default; ip link set eth0 down; grep CapEff /proc/self/status');
    expect(h.stderr).toMatch(/Operation not permitted/);
    expect(execFileSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), 'nft', 'list', 'tables'], { encoding: 'utf8' })).toMatch(/table ip podnet\n/);
    expect(execFileSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), 'ip', '-br', 'link', 'show', 'eth0'], { encoding: 'utf8' })).toMatch(/\bUP\b/);
  }, T);

  it('cannot reach an agent socket of its own lab or of another lab', async () => {
    for (const sock of [join(lab.stateDir, 'agents', 'node-1.sock'), join(other.stateDir, 'agents', 'node-1.sock')]) {
      expect(existsSync(sock)).toBe(true);
      // Root's alone on the host as well: the socket 0600 in a 0700 directory.
      expect(statSync(sock).mode & 0o077).toBe(0);
      expect(statSync(join(sock, '..')).mode & 0o077).toBe(0);
      const r = await lab.exec('hostile', ['node', '-e', `require('net').connect(${JSON.stringify(sock)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(1) })`]);
      expect(r.stdout).not.toContain('connected');
      expect(r.stdout.trim()).toBe('ENOENT');
    }
  }, T);

  it('cannot connect to a service bound on the host\'s 0.0.0.0 (the host reaches it itself)', async () => {
    const fromHost = await new Promise<string>((resolve) => net.connect(port, hostLinkIP).on('data', (d) => resolve(d.toString())).on('error', (e) => resolve(e.message)));
    expect(fromHost).toBe('host service\n');
    const script = `const s = require('net').connect(${port}, ${JSON.stringify(hostLinkIP)}); s.setTimeout(2000, () => { console.log('timeout'); process.exit(1) }); s.on('data', () => { console.log('reached'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(1) })`;
    for (const who of ['hostile', 'good']) {
      const r = await lab.exec(who, ['node', '-e', script]);
      expect(r.stdout).not.toContain('reached');
    }
    const fromNode = spawnSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), process.execPath, '-e', script], { encoding: 'utf8' }).stdout;
    expect(fromNode).not.toContain('reached');
  }, T);

  it('a setuid binary does not raise a non-root container\'s privileges', async () => {
    expect(statSync(suid()).mode & 0o4000).toBe(0o4000);
    const r = await run('nonroot', 'id -u; /suid/id-suid -u; /suid/id-suid -u -r');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['1000', '1000', '1000']);
    const caps = await run('nonroot', 'grep CapEff /proc/self/status');
    expect(caps.stdout).toMatch(/CapEff:\s+0+\n/);
  }, T);

  it('a well-behaved pod works: runAsUser, capabilities, a shared emptyDir, a read-only root', async () => {
    const ip = (await lab.pods()).find((p) => p.name === 'good')!.ip;
    expect((await lab.exec('hostile', ['curl', '-s', '-m', '5', `http://${ip}/`])).stdout).toBe('from-writer\n');
    const writer = await lab.cli('exec', ['good', '-c', 'writer', '--', 'sh', '-c', 'id -u; id -G; touch /tmp/ok && echo tmp-ok; grep CapBnd /proc/self/status']);
    expect(writer.stdout).toMatch(/^1000\n1000 2000\ntmp-ok\nCapBnd:\s+0+\n$/);
    const web = await lab.cli('exec', ['good', '-c', 'web', '--', 'sh', '-c', 'id -u; grep CapEff /proc/self/status; cat /data/note; echo x > /data/y || echo ro; touch /etc/x 2>&1']);
    // CAP_NET_BIND_SERVICE is bit 10: 0x400, and nothing else; root owns / but the root is read-only.
    expect(web.stdout).toMatch(/^0\nCapEff:\s+0+400\nfrom-writer\nro\n.*Read-only file system\n$/s);
  }, T);

  it('a container running as a non-root user reads /etc/resolv.conf and resolves cluster names', async () => {
    // As kubelet writes it: world-readable (Online Boutique's loadgenerator init container runs as 1000).
    await lab.ok('wait', ['pods', '-n', 'kube-system', '--all', '--for', 'condition=Ready', '--timeout', '60s']);
    const r = await lab.cli('exec', ['good', '-c', 'writer', '--', 'sh', '-c', 'id -u; grep -c ^nameserver /etc/resolv.conf; getent hosts kube-dns.kube-system.svc.cluster.local']);
    expect(r.stdout, r.stderr).toMatch(/^1000\n1\n\d+\.\d+\.\d+\.\d+\s+kube-dns\.kube-system\.svc\.cluster\.local\n$/);
  }, T);

  it('runAsNonRoot refuses a container that would run as root, with kubelet\'s message', async () => {
    const status = await until('strict to be reported', async () => {
      const list = JSON.parse(await lab.ok('get', ['pods', '-o', 'json'])) as { items: { metadata: { name: string }; status: { containerStatuses?: { ready: boolean }[] } }[] };
      return list.items.find((p) => p.metadata.name === 'strict')?.status.containerStatuses?.[0];
    });
    expect(status.ready).toBe(false);
    const log = readFileSync(join(lab.stateDir, 'logs', 'default_strict_c.log'), 'utf8');
    expect(log).toContain('container has runAsNonRoot and image will run as root (pod: "strict_default", container: c)');
  }, T);
});
