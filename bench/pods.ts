/**
 * `npm run bench -- pods [--strict]`: network setup time for 100 pods on 2 nodes — podnet
 * (renderPodsAdd + applyPlan: pod namespaces, veths, addresses, routes) against Debian's standard
 * CNI plugins (`bridge` + `host-local`) doing the same 100 ADDs, one exec per ADD, sequentially as
 * a kubelet would, measured in the same run. Median of 3 runs each; both sides checked once with
 * a ping to the gateway and to another pod. Needs root; installs iproute2/iputils-ping/
 * containernetworking-plugins when missing. Exit 1 with --strict when the target is missed.
 * `--multus`: the secondary-network variant instead (bench/pods-multus.ts).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../src/host/executor.js';
import { renderPodsAdd } from '../src/lab/network.js';
import { labNetnsPrefix } from '../src/model/lab.js';
import { host, labConfig, placeBenchPods, upNetwork } from './lib/lab.js';
import { pingOnce } from './lib/net.js';
import { ensureBinaries, isRoot, markdown, median, must, nowMs, Resources, run, runTag, sleep, table, waitQuiet, withCleanup } from './lib/sys.js';

const PODS = 100;
const NODES = 2;
const RUNS = 3;
const TARGET_RATIO = 0.5;
const CNI_DIR = '/usr/lib/cni';
const BASE_SUBNET = '10.250.0.0/24';
const BASE_GATEWAY = '10.250.0.1';
/** The kernel frees deleted namespaces asynchronously; let that finish before the next timing. */
const SETTLE_MS = 1_500;
/** Before each timed part, wait up to this long for the machine to be ≥ 90% idle. */
const QUIET_WAIT_MS = 3_000;

interface Sample {
  /** Whether the machine was quiet when the timed part started. */
  quiet: boolean;
  /** Creating the pod namespaces. */
  netnsMs: number;
  /** The ADDs (veths, addresses, routes). */
  addMs: number;
}

const log = (s: string) => process.stdout.write(`${s}\n`);

export async function main(args: string[]): Promise<number> {
  const strict = args.includes('--strict');
  const multus = args.includes('--multus');
  const unknown = args.filter((a) => a !== '--strict' && a !== '--multus');
  if (unknown.length > 0) {
    process.stderr.write(`pods: unknown argument ${unknown[0]}\nusage: npm run bench -- pods [--strict] [--multus]\n`);
    return 2;
  }
  if (!isRoot()) {
    process.stderr.write('pods: needs root (creates network namespaces)\n');
    return 2;
  }
  await ensureBinaries(
    [
      { bin: 'ip', pkg: 'iproute2' },
      { bin: 'ping', pkg: 'iputils-ping' },
      { bin: `${CNI_DIR}/bridge`, pkg: 'containernetworking-plugins' },
      { bin: `${CNI_DIR}/host-local`, pkg: 'containernetworking-plugins' },
    ],
    log,
  );
  const cpu = cpus();
  const tag = runTag();
  if (multus) {
    // The variant: one macvlan + static secondary attachment per pod (bench/pods-multus.ts).
    await ensureBinaries([{ bin: `${CNI_DIR}/macvlan`, pkg: 'containernetworking-plugins' }, { bin: `${CNI_DIR}/static`, pkg: 'containernetworking-plugins' }], log);
    log(`pods --multus — ${PODS} pods on ${NODES} nodes, one macvlan + static attachment each; node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}; run tag pnb${tag}\n`);
    await (await import('./pods-multus.js')).multusVariant(log, tag);
    return 0;
  }
  const kernel = (await run(['uname', '-r'])).stdout.trim();
  const cniVersion = (await run(['dpkg-query', '-W', '-f', '${Version}', 'containernetworking-plugins'])).stdout.trim() || 'unknown';
  log(`pods benchmark — ${PODS} pods on ${NODES} nodes; node ${process.version}, kernel ${kernel}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}`);
  log(`baseline: ${CNI_DIR}/bridge + host-local (containernetworking-plugins ${cniVersion}); run tag pnb${tag}\n`);

  const res = new Resources();
  const podnet: Sample[] = [];
  const base: Sample[] = [];
  await withCleanup(res, async () => {
    for (let i = 0; i < RUNS; i++) {
      // Alternate the order so that neither side always runs on a warmer (or busier) machine.
      const sides = i % 2 === 0 ? (['podnet', 'baseline'] as const) : (['baseline', 'podnet'] as const);
      for (const side of sides) {
        const s = side === 'podnet' ? await podnetRun(res, tag, i, i === 0) : await baselineRun(res, tag, i, i === 0);
        (side === 'podnet' ? podnet : base).push(s);
        log(`run ${i + 1} ${side.padEnd(8)} netns ${s.netnsMs.toFixed(0).padStart(5)} ms  ADD ${s.addMs.toFixed(0).padStart(5)} ms  total ${(s.netnsMs + s.addMs).toFixed(0).padStart(5)} ms${s.quiet ? '' : '  (started while the machine was busy)'}`);
      }
    }
  });

  const total = (s: Sample) => s.netnsMs + s.addMs;
  const pTotal = median(podnet.map(total));
  const bTotal = median(base.map(total));
  const ratio = pTotal / bTotal;
  const pass = ratio <= TARGET_RATIO;
  const row = (name: string, xs: Sample[]) => [
    name,
    median(xs.map((s) => s.netnsMs)).toFixed(0),
    median(xs.map((s) => s.addMs)).toFixed(0),
    median(xs.map(total)).toFixed(0),
    (median(xs.map(total)) / PODS).toFixed(2),
    xs.map((s) => total(s).toFixed(0)).join(' / '),
  ];
  const rows = [
    ['method', 'netns ms', 'ADD ms', 'total ms', 'ms/pod', 'runs (total ms)'],
    row('podnet (renderPodsAdd + applyPlan)', podnet),
    row('CNI bridge + host-local, 1 exec/ADD', base),
  ];
  log('');
  log(table(rows));
  log(`\nratio podnet/baseline ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}): ${pass ? 'PASS' : 'FAIL'}`);
  log(`ADD part only (without namespace creation): ${(median(podnet.map((s) => s.addMs)) / median(base.map((s) => s.addMs))).toFixed(2)}`);
  log(`\nmarkdown:\n${markdown(rows)}\n| ratio podnet/baseline | | | ${ratio.toFixed(2)} | target ≤ ${TARGET_RATIO} | ${pass ? 'PASS' : 'FAIL'} |`);
  // Pod start with command containers: sandboxed against unsandboxed, same run (container-start.ts).
  const { runScript } = await import('./memory.js');
  await runScript('container-start.ts', []);
  return strict && !pass ? 1 : 0;
}

/** podnet: a 2-node lab network (untimed), then 100 pods through renderPodsAdd + applyPlan (timed). */
async function podnetRun(res: Resources, tag: string, i: number, verify: boolean): Promise<Sample> {
  const config = labConfig(`pnb${tag}p${i}`, 'routed', NODES);
  const prefix = labNetnsPrefix(config.name);
  try {
    const nodes = await upNetwork(res, config);
    const placed = placeBenchPods(
      config,
      nodes,
      Array.from({ length: PODS }, (_, k) => ({ name: `p${String(k).padStart(3, '0')}`, node: nodes[k % NODES].name })),
    );
    const quiet = await waitQuiet(QUIET_WAIT_MS);
    const t0 = nowMs();
    const plan = renderPodsAdd(config, nodes, placed);
    // The plan's first stage creates the pod namespaces; stages are applied one by one only to
    // time that part separately (applyPlan runs stages in order either way).
    await applyPlan(host, plan.slice(0, 1));
    const t1 = nowMs();
    await applyPlan(host, plan.slice(1));
    const t2 = nowMs();
    if (verify) {
      const a = placed.find((p) => p.node === nodes[0].name)!;
      const b = placed.find((p) => p.node === nodes[1].name)!;
      await pingOnce(a.netns!, nodes[0].gateway);
      await pingOnce(a.netns!, b.ip);
      for (const n of nodes) {
        const routes = (await must(['ip', '-n', n.netns, '-o', 'route', 'show', 'scope', 'link', 'src', n.gateway])).trim().split('\n').length;
        if (routes !== PODS / NODES) throw new Error(`podnet: ${n.name} has ${routes} pod routes, expected ${PODS / NODES}`);
      }
      log(`verified podnet: ${a.key} (${a.ip}) → gateway ${nodes[0].gateway} and → ${b.key} (${b.ip}) on ${b.node}; a /32 route to each of ${PODS / NODES} pod veths per node`);
    }
    return { quiet, netnsMs: t1 - t0, addMs: t2 - t1 };
  } finally {
    await res.releaseNetns((n) => n.startsWith(prefix));
    await sleep(SETTLE_MS);
  }
}

/**
 * Baseline: a node namespace with a bridge (untimed, like podnet's node network), then the pod
 * namespaces (one `ip -batch`, exactly as podnet creates them) and 100 sequential ADDs of
 * Debian's `bridge` plugin with `host-local` IPAM, each `ip netns exec NODE /usr/lib/cni/bridge`.
 */
async function baselineRun(res: Resources, tag: string, i: number, verify: boolean): Promise<Sample> {
  const prefix = `pnb${tag}-b${i}-`;
  const node = `${prefix}node`;
  const pods = Array.from({ length: PODS }, (_, k) => `${prefix}p${k}`);
  const dataDir = mkdtempSync(join(tmpdir(), `pnb${tag}-ipam-`));
  res.dirs.add(dataDir);
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'bench',
    type: 'bridge',
    bridge: 'cni0',
    isGateway: true,
    ipMasq: false,
    ipam: { type: 'host-local', ranges: [[{ subnet: BASE_SUBNET }]], dataDir },
  });
  try {
    res.addNetns(node, ...pods);
    await must(['ip', 'netns', 'add', node]);
    await must(['ip', '-n', node, '-batch', '-'], { input: 'link set lo up\nlink add cni0 type bridge\nlink set cni0 up\n' });
    const quiet = await waitQuiet(QUIET_WAIT_MS);
    const t0 = nowMs();
    await must(['ip', '-batch', '-'], { input: `${pods.map((p) => `netns add ${p}`).join('\n')}\n` });
    const t1 = nowMs();
    const ips: string[] = [];
    for (const [k, pod] of pods.entries()) {
      const env = {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: `pnb${tag}b${i}c${k}`,
        CNI_NETNS: `/run/netns/${pod}`,
        CNI_IFNAME: 'eth0',
        CNI_PATH: CNI_DIR,
      };
      const r = await run(['ip', 'netns', 'exec', node, `${CNI_DIR}/bridge`], { input: conf, env });
      if (r.code !== 0) throw new Error(`CNI ADD ${pod}: exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`);
      ips.push((JSON.parse(r.stdout) as { ips: { address: string }[] }).ips[0].address.split('/')[0]);
    }
    const t2 = nowMs();
    if (verify) {
      await pingOnce(pods[0], BASE_GATEWAY);
      await pingOnce(pods[0], ips[PODS - 1]);
      const ports = (await must(['ip', '-n', node, '-o', 'link', 'show', 'master', 'cni0'])).trim().split('\n').length;
      if (ports !== PODS) throw new Error(`baseline: ${ports} bridge ports, expected ${PODS}`);
      log(`verified baseline: ${pods[0]} (${ips[0]}) → gateway ${BASE_GATEWAY} and → ${pods[PODS - 1]} (${ips[PODS - 1]}); ${PODS} veths on the bridge`);
    }
    return { quiet, netnsMs: t1 - t0, addMs: t2 - t1 };
  } finally {
    await res.releaseNetns((n) => n.startsWith(prefix));
    await sleep(SETTLE_MS);
  }
}
