/**
 * `npm run bench -- ingress [--seconds S] [--rounds R] [--connections C] [--strict]`: wrk from
 * the host through podnet's ingress controller and through nginx configured the same way, in the
 * same run, rounds interleaved (podnet, nginx, podnet, …).
 *
 * One 1-node podnet lab (so every pod shares one node and both paths are alike): an upstream pod
 * (podnet's built-in HTTP server), an Ingress routing bench.test to it (podnet's controller, one
 * process, behind its LoadBalancer Service), and a pod whose namespace this benchmark starts nginx
 * in (worker_processes 1, keep-alive upstream pool to the same upstream pod IP, the same
 * X-Forwarded-* headers, access log off as podnet's controller has none) behind a LoadBalancer
 * Service of its own. Both Services have externalTrafficPolicy Local: host → LB IP → node → pod.
 * Targets: podnet's median RPS ≥ 0.5 × nginx's, p99 ≤ 2 × nginx's. Exit 1 with --strict on a miss.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ensureBinaries, isRoot, markdown, median, must, Resources, run, runTag, sleep, table, waitQuiet, withCleanup } from './lib/sys.js';

const log = (s: string) => process.stdout.write(`${s}\n`);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const HOST = 'bench.test';
const NGINX_PORT = 8080;

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
}

function objects(): Record<string, unknown>[] {
  const deploy = (name: string, container: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'bench' },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'x', ...container }] } } },
  });
  return [
    deploy('upstream', { ports: [{ containerPort: 8080 }] }),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'upstream', namespace: 'bench' }, spec: { selector: { app: 'upstream' }, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'bench', namespace: 'bench' }, spec: { rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'upstream', port: { number: 80 } } } }] } }] } },
    // The pod nginx runs in (started by this benchmark, not by the lab).
    deploy('nginx-ref', { command: ['sleep', 'infinity'] }),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx-ref', namespace: 'bench' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'nginx-ref' }, ports: [{ port: 80, targetPort: NGINX_PORT }] } },
  ];
}

/** nginx doing what podnet's controller does for this Ingress. */
function nginxConf(dir: string, upstream: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server ${upstream}; keepalive 256; }
  server { listen ${NGINX_PORT} default_server; return 404; }
  server {
    listen ${NGINX_PORT};
    server_name ${HOST};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`;
}

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  if (!m) throw new Error(`wrk latency not understood: ${v}`);
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

async function wrk(ip: string, seconds: number, connections: number): Promise<WrkResult> {
  const out = await must(['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${HOST}`, `http://${ip}/`], { timeoutMs: (seconds + 30) * 1000 });
  const grab = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`wrk output not understood: ${out.trim().split('\n').join(' | ')}`);
    return m[1];
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(grab(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: toMs(grab(/\s50%\s+(\S+)/)),
    p99Ms: toMs(grab(/\s99%\s+(\S+)/)),
    errors: Number(errors?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((a, n) => a + Number(n), 0) : 0),
  };
}

/** One GET through a proxy: the pod that answered (both must reach the same upstream pod). */
async function answeringPod(ip: string): Promise<string> {
  const r = await run(['curl', '-s', '-m', '5', '-H', `Host: ${HOST}`, `http://${ip}/check`]);
  try {
    return (JSON.parse(r.stdout) as { pod: string }).pod;
  } catch {
    throw new Error(`no JSON answer through ${ip}: ${r.stdout}${r.stderr}`);
  }
}

export async function main(args: string[]): Promise<number> {
  const seconds = flag(args, '--seconds', 10);
  const rounds = flag(args, '--rounds', 3);
  const connections = flag(args, '--connections', 50);
  const strict = args.includes('--strict');
  if (!isRoot()) throw new Error('bench ingress needs root (it runs a podnet lab)');
  await ensureBinaries([{ bin: 'wrk', pkg: 'wrk' }, { bin: 'nginx', pkg: 'nginx-light' }, { bin: 'curl', pkg: 'curl' }], log);
  const res = new Resources();
  const dir = mkdtempSync(join(tmpdir(), 'pnb-ingress-'));
  res.dirs.add(dir);
  const lab = `pnb${runTag()}`;
  res.addNetnsPrefix(`pn-${lab}_`);
  const env = { ...process.env, PODNET_STATE_ROOT: join(dir, 'state') };
  const podnet = ([command, ...rest]: string[]) => must([process.execPath, '--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts'), command, '--name', lab, ...rest], { env, timeoutMs: 180_000 });
  let nginx: ChildProcess | undefined;
  return withCleanup(res, async () => {
    try {
      writeFileSync(join(dir, 'bench.yaml'), objects().map((o) => stringify(o)).join('---\n'));
      await podnet(['up', '--nodes', '1', '--no-dns', '-f', join(dir, 'bench.yaml')]);
      const pods = JSON.parse(await podnet(['get', 'pods', '-A', '-o', 'json'])) as { items: { metadata: { name: string; namespace: string }; status: { podIP: string } }[] };
      const svcs = JSON.parse(await podnet(['get', 'services', '-A', '-o', 'json'])) as { items: { metadata: { name: string }; status: { loadBalancer: { ingress?: { ip: string }[] } } }[] };
      const lbOf = (name: string) => svcs.items.find((s) => s.metadata.name === name)!.status.loadBalancer.ingress![0].ip;
      const pod = (prefix: string) => pods.items.find((p) => p.metadata.name.startsWith(`${prefix}-`))!;
      const upstream = pod('upstream');
      const netns = (await podnet(['exec', `bench/${pod('nginx-ref').metadata.name}`, '--', 'ip', 'netns', 'identify'])).trim();
      writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, `${upstream.status.podIP}:8080`));
      nginx = spawn('ip', ['netns', 'exec', netns, 'nginx', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      res.addChild(nginx);
      let nginxErr = '';
      nginx.stderr!.setEncoding('utf8').on('data', (d: string) => (nginxErr += d));
      const servers = [
        { name: 'podnet ingress (1 process)', ip: lbOf('podnet-ingress-controller'), runs: [] as WrkResult[] },
        { name: `nginx ${(await run(['nginx', '-v'])).stderr.trim().split('/').pop()} (1 worker)`, ip: lbOf('nginx-ref'), runs: [] as WrkResult[] },
      ];
      for (let i = 0; ; i++) {
        const answers = await Promise.all(servers.map((s) => answeringPod(s.ip).catch(() => '')));
        if (answers.every((a) => a === upstream.metadata.name)) break;
        if (i > 50 || nginx.exitCode !== null) throw new Error(`the proxies do not both reach ${upstream.metadata.name}: ${JSON.stringify(answers)} ${nginxErr}`);
        await sleep(200);
      }
      log(`lab ${lab}: upstream ${upstream.metadata.namespace}/${upstream.metadata.name} at ${upstream.status.podIP}:8080; podnet ingress at ${servers[0].ip}, nginx at ${servers[1].ip}`);
      for (const s of servers) await wrk(s.ip, 2, connections); // warm-up (JIT, pools), not counted
      for (let r = 0; r < rounds; r++) {
        if (!(await waitQuiet(10_000, 0.8))) log('(machine not quiet; measuring anyway)');
        for (const s of servers) {
          const w = await wrk(s.ip, seconds, connections);
          s.runs.push(w);
          log(`round ${r + 1} ${s.name}: ${w.rps.toFixed(0)} req/s, p50 ${w.p50Ms.toFixed(2)} ms, p99 ${w.p99Ms.toFixed(2)} ms, errors ${w.errors}`);
        }
      }
      return report(servers, rounds, connections, strict);
    } finally {
      if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
        const exited = new Promise((r) => nginx!.once('exit', r));
        nginx.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
      }
      await run([process.execPath, '--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts'), 'down', '--name', lab], { env, timeoutMs: 60_000 });
    }
  });
}

function report(servers: { name: string; runs: WrkResult[] }[], rounds: number, connections: number, strict: boolean): number {
  const med = (s: (typeof servers)[number], f: (w: WrkResult) => number) => median(s.runs.map(f));
  const [pn, ng] = servers;
  const rpsRatio = med(pn, (w) => w.rps) / med(ng, (w) => w.rps);
  const p99Ratio = med(pn, (w) => w.p99Ms) / med(ng, (w) => w.p99Ms);
  const errors = servers.flatMap((s) => s.runs).reduce((a, w) => a + w.errors, 0);
  const pass = rpsRatio >= 0.5 && p99Ratio <= 2 && errors === 0;
  const rows = [
    ['proxy', `req/s median of ${rounds}`, 'rounds (req/s)', 'p50', 'p99 median', 'errors', 'RPS ratio', 'p99 ratio', 'target', 'result'],
    ...servers.map((s, i) => [
      s.name,
      med(s, (w) => w.rps).toFixed(0),
      s.runs.map((w) => w.rps.toFixed(0)).join(' / '),
      `${med(s, (w) => w.p50Ms).toFixed(2)} ms`,
      `${med(s, (w) => w.p99Ms).toFixed(2)} ms`,
      String(s.runs.reduce((a, w) => a + w.errors, 0)),
      i === 0 ? rpsRatio.toFixed(2) : '1',
      i === 0 ? p99Ratio.toFixed(2) : '1',
      i === 0 ? 'RPS ≥ 0.5×, p99 ≤ 2×' : '—',
      i === 0 ? (pass ? 'PASS' : 'FAIL') : '—',
    ]),
  ];
  log(`\nwrk -t1 -c${connections}, keep-alive, GET / with Host: ${HOST}\n`);
  log(table(rows));
  log('');
  log(markdown(rows));
  if (errors > 0) return 1;
  return strict && !pass ? 1 : 0;
}
