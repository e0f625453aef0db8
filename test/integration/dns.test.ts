// Cluster DNS in a lab (`podnet up --dns`): kube-system/coredns behind kube-dns, resolv.conf per
// pod, queried from inside pods through the system resolver and a DNS client.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, REPO, TestLab, until } from './helpers.js';

const fx = (name: string) => `${REPO}/test/fixtures/dns/${name}`;

describe.skipIf(!CAN_RUN_LAB)('cluster DNS in a lab (root, real packets)', () => {
  const lab = new TestLab('dn');
  const inPod = async (pod: string, argv: string[]) => lab.exec(pod, argv);
  const node = (pod: string, script: string) => inPod(pod, [process.execPath, '-e', script]);

  beforeAll(async () => {
    await lab.up(['--dns', '-f', fx('base.yaml')]); // the default; explicit because TestLab adds --no-dns otherwise
  });
  afterAll(async () => {
    await lab.cleanup();
    expect(readdirSync('/etc/netns').filter((d) => d.startsWith(`pn-${lab.name}_`))).toEqual([]);
  });

  it('runs kube-system/coredns behind kube-dns at the 10th service address', async () => {
    const pods = await lab.pods();
    expect(pods.filter((p) => p.namespace === 'kube-system' && p.name.startsWith('coredns-'))).toHaveLength(2);
    const svc = JSON.parse(await lab.ok('get', ['svc', '-n', 'kube-system', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    expect(svc.items.find((i) => i.metadata.name === 'kube-dns')?.spec.clusterIP).toBe('10.96.0.10');
  });

  it('gives pods a resolv.conf per dnsPolicy (ClusterFirst, None with dnsConfig)', async () => {
    expect((await inPod('shop/client', ['cat', '/etc/resolv.conf'])).stdout).toBe('nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    expect((await inPod('shop/custom', ['cat', '/etc/resolv.conf'])).stdout).toBe('nameserver 10.96.0.10\nsearch svc.cluster.local\noptions ndots:1\n');
  });

  it('resolves Services through the system resolver, with search domains, and reaches them by name', async () => {
    const svc = JSON.parse(await lab.ok('get', ['svc', '-n', 'shop', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    const vip = svc.items.find((i) => i.metadata.name === 'web')!.spec.clusterIP;
    for (const name of ['web', 'web.shop', 'web.shop.svc.cluster.local', 'WEB.Shop.svc.cluster.local']) {
      const r = await inPod('shop/client', ['getent', 'hosts', name]);
      expect(r.stdout.split(/\s+/)[0]).toBe(vip);
    }
    const r = await node('shop/client', "fetch('http://web/').then((x) => x.json()).then((j) => console.log(j.namespace))");
    expect(r.stdout.trim()).toBe('shop');
    expect((await inPod('shop/client', ['getent', 'hosts', 'nothere.shop.svc.cluster.local'])).code).toBe(2);
  });

  it('answers headless A records, StatefulSet hostnames, SRV, PTR, CNAME, pod records and the schema TXT', async () => {
    const script = `
      const dns = require('dns').promises; const r = new dns.Resolver(); r.setServers(['10.96.0.10']);
      const out = {};
      const run = async (k, f) => { try { out[k] = await f(); } catch (e) { out[k] = e.code; } };
      (async () => {
        await run('headless', () => r.resolve4('db.shop.svc.cluster.local'));
        await run('host', () => r.resolve4('db-0.db.shop.svc.cluster.local'));
        await run('srv', () => r.resolveSrv('_http._tcp.web.shop.svc.cluster.local'));
        await run('cname', () => r.resolveCname('ext.shop.svc.cluster.local'));
        await run('txt', () => r.resolveTxt('dns-version.cluster.local'));
        await run('nx', () => r.resolve4('nothere.shop.svc.cluster.local'));
        const web = await r.resolve4('web.shop.svc.cluster.local');
        await run('ptr', () => r.reverse(web[0]));
        await run('pod', () => r.resolve4(process.argv[1].replaceAll('.', '-') + '.shop.pod.cluster.local'));
        console.log(JSON.stringify(out));
      })();`;
    const pods = await lab.pods();
    const clientIP = pods.find((p) => p.name === 'client')!.ip;
    const out = JSON.parse((await inPod('shop/client', [process.execPath, '-e', script, clientIP])).stdout) as Record<string, unknown>;
    const dbIPs = pods.filter((p) => p.name.startsWith('db-')).map((p) => p.ip).sort();
    expect((out.headless as string[]).sort()).toEqual(dbIPs);
    expect(out.host).toEqual([pods.find((p) => p.name === 'db-0')!.ip]);
    expect(out.srv).toEqual([{ name: 'web.shop.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    expect(out.cname).toEqual(['db.example.com']);
    expect(out.txt).toEqual([['1.1.0']]);
    expect(out.nx).toBe('ENOTFOUND');
    expect(out.ptr).toEqual(['web.shop.svc.cluster.local']);
    expect(out.pod).toEqual([clientIP]); // a-b-c-d.<ns>.pod.cluster.local
  });

  it('follows apply: a new Service resolves right after apply returns (the server watches the state file every 200 ms)', async () => {
    await lab.ok('apply', ['-f', fx('late.yaml')]);
    const started = Date.now();
    await until('late resolvable', async () => (await inPod('shop/client', ['getent', 'hosts', 'late.shop.svc.cluster.local'])).code === 0, 5_000);
    expect(Date.now() - started).toBeLessThan(2_500); // generous: each try is a `podnet exec` (~0.3 s)
  });
});
