/** `podnet up`: a real multi-node pod network from manifests. */
import type { Command } from 'commander';
import { withDefaultNamespace } from '../api/default-namespace.js';
import { loadManifests } from '../api/load.js';
import { defaultLbCidr, defaultNodeCidr, goArch, validateLabConfig, type LabConfig } from '../model/lab.js';
import { release } from 'node:os';
import { formatUpstream } from '../model/dns-upstream.js';
import { decideVxlanChecksumOffload, type OffloadDecision, type OffloadSetting } from '../model/kernel.js';
import { LabError, labUp, type ReconcileReport } from '../lab/lab.js';
import { withLabLock } from '../lab/lock.js';
import { ensureApiServer } from '../lab/apiserver.js';
import { kubeconfigTarget, mergeIntoKubeconfig } from '../lab/kubeconfig.js';
import { contextName } from '../apiserver/kubeconfig-doc.js';
import { labDir } from '../lab/state.js';
import type { LabState } from '../lab/state.js';
import { formatTable } from '../output/table.js';
import { collect, oneOf, parseDuration, run, UsageError, write } from './common.js';
import { DEFAULT_LAB, requireRoot } from './lab-common.js';
import { launcherMissing } from '../lab/agent/sandbox.js';


export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a lab: nodes and pods as network namespaces, real processes, real packets (root)')
    .option('--name <lab>', 'lab name', DEFAULT_LAB)
    .option('--nodes <n>', 'number of nodes', '2')
    .option('--mode <mode>', 'routed (host-gw) or vxlan (overlay)', 'routed')
    .option('--pod-cidr <cidr>', 'pod CIDR (a /24 per node)', '10.244.0.0/16')
    .option('--service-cidr <cidr>', 'service CIDR', '10.96.0.0/12')
    .option('--node-cidr <cidr>', 'node network (default: a /24 in 100.64.0.0/10 chosen by lab name)')
    .option('--lb-cidr <cidr>', 'LoadBalancer IP pool, reachable from the host (default: the /24 after the node network)')
    .option('--dns', 'run cluster DNS (the default): kube-system/coredns behind kube-dns at the 10th address of the service CIDR, a resolv.conf per pod', true)
    .option('--no-dns', 'no cluster DNS: pods keep the host\'s resolver')
    .option('--dns-upstream <spec>', 'where cluster DNS forwards other names: host (the nameservers in /etc/resolv.conf at up), none (SERVFAIL), or ADDR[:PORT][,ADDR[:PORT]...]', undefined)
    .option('--vxlan-checksum-offload [setting]', 'vxlan mode: TX checksum offload (and with it TSO) on flannel.1: auto (the default: on from Linux 5.7, off below, where source-NATed VXLAN packets got bad checksums), on (the bare flag), or off')
    .option('--no-vxlan-checksum-offload', 'the same as --vxlan-checksum-offload=off')
    .option('--node-monitor-grace-period <duration>', 'how long a node\'s agent may stay silent before the node is NotReady and its pods leave the Services (default 40s)')
    .option('--agent-restart-delay <duration>', 'how long the lab\'s monitor waits before starting a node agent that died again (default 10s, as kubeadm restarts a kubelet)')
    .option('--semantics <profile>', 'NetworkPolicy semantics the data plane enforces: upstream (ipBlocks match pod and node IPs) or cilium (they do not); README "Semantics"', 'upstream')
    .option('--zones <list>', 'topology.kubernetes.io/zone labels for the nodes, round-robin (a,b,…); Node manifests\' labels win')
    .option('--instance-type <type>', 'node.kubernetes.io/instance-type label of every node')
    .option('--no-api', 'no Kubernetes API server (kubectl) for this lab')
    .option('--kubeconfig <path>', 'the kubeconfig that gets context podnet-LAB (default: the first of $KUBECONFIG, else ~/.kube/config)')
    .option('-f, --filename <path>', 'manifest file, directory or -; repeatable', collect)
    .option('-n, --namespace <ns>', 'namespace of objects that name none (as kubectl apply -n)')
    .action((opts: { name: string; nodes: string; mode: string; podCidr: string; serviceCidr: string; nodeCidr?: string; lbCidr?: string; vxlanChecksumOffload?: boolean | string; dns?: boolean; dnsUpstream?: string; nodeMonitorGracePeriod?: string; agentRestartDelay?: string; semantics: string; zones?: string; instanceType?: string; api?: boolean; kubeconfig?: string; filename?: string[]; namespace?: string }) =>
      run(async () => {
        if (!/^[0-9]+$/.test(opts.nodes)) throw new UsageError(`--nodes: ${JSON.stringify(opts.nodes)} is not a number`);
        const mode = oneOf('--mode', opts.mode, ['routed', 'vxlan'] as const);
        const setting = offloadSetting(opts.vxlanChecksumOffload); // checked in routed mode too
        const offload = mode === 'vxlan' ? decideVxlanChecksumOffload(setting, release()) : undefined;
        const config: LabConfig = {
          name: opts.name,
          nodes: Number(opts.nodes),
          mode,
          podCidr: opts.podCidr,
          serviceCidr: opts.serviceCidr,
          nodeCidr: opts.nodeCidr ?? defaultNodeCidr(opts.name),
          lbCidr: opts.lbCidr ?? (opts.nodeCidr ? undefined : defaultLbCidr(opts.name)),
          ...(offload ? { vxlanChecksumOffload: offload.offload } : {}),
          ...(opts.dns ? { dns: true } : {}),
          ...(opts.dnsUpstream !== undefined ? { dnsUpstream: opts.dnsUpstream } : {}),
          arch: goArch(process.arch),
          ...(opts.zones !== undefined ? { zones: opts.zones.split(',').map((z) => z.trim()).filter(Boolean) } : {}),
          ...(opts.instanceType !== undefined ? { instanceType: opts.instanceType } : {}),
          ...(opts.nodeMonitorGracePeriod !== undefined ? { nodeMonitorGraceMs: parseDuration(opts.nodeMonitorGracePeriod, '--node-monitor-grace-period') } : {}),
          ...(opts.agentRestartDelay !== undefined ? { agentRestartDelayMs: parseDuration(opts.agentRestartDelay, '--agent-restart-delay') } : {}),
          semantics: opts.semantics as LabConfig['semantics'], // validateLabConfig checks it
          ...(opts.api === false ? { noApi: true } : {}),
        };
        const objects = opts.filename && opts.filename.length > 0 ? withDefaultNamespace(loadManifests(opts.filename), opts.namespace) : [];
        const host = requireRoot('podnet up');
        const noLauncher = launcherMissing();
        if (noLauncher !== undefined) throw new UsageError(`podnet up: ${noLauncher}`);
        const started = Date.now();
        const problems = validateLabConfig(config); // before the lock: its file needs a valid lab name
        if (problems.length > 0) throw new LabError(problems.join('\n'));
        const { state, report } = await withLabLock(config.name, 'podnet up', () => labUp(host, config, objects));
        for (const note of report.notes) process.stderr.write(`podnet: ${note}\n`);
        write(upSummary(state, report, Date.now() - started, offload));
        if (!config.noApi) {
          // As kind does: the lab's context in the user's kubeconfig, made current.
          const api = await ensureApiServer(labDir(config.name));
          const path = kubeconfigTarget(opts.kubeconfig);
          mergeIntoKubeconfig(labDir(config.name), path, { lab: config.name, server: `https://127.0.0.1:${api.port}`, caCert: api.creds.caCert, token: api.creds.token });
          write(`kubectl: context ${contextName(config.name)} (https://127.0.0.1:${api.port}) is current in ${path}`);
        }
      }),
    );
}

/** `--vxlan-checksum-offload[=auto|on|off]` / `--no-vxlan-checksum-offload`: bare means on (as before). */
export function offloadSetting(value: boolean | string | undefined): OffloadSetting {
  if (value === undefined) return 'auto';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return oneOf('--vxlan-checksum-offload', value, ['auto', 'on', 'off'] as const);
}

export function upSummary(state: LabState, report: ReconcileReport, ms: number, offload?: OffloadDecision): string {
  const { config } = state;
  const ready = report.statuses.filter((s) => s.ready).length;
  const lines = [`lab ${config.name} is up in ${(ms / 1000).toFixed(1)} s: ${state.nodes.length} nodes (${config.mode}), ${ready}/${state.placements.length} pods ready`, ''];
  lines.push(formatTable(['NODE', 'INTERNAL-IP', 'POD-CIDR', 'PODS'], state.nodes.map((n) => [n.name, n.ip, n.podCidr, String(state.placements.filter((p) => p.node === n.name).length)])).trimEnd());
  if (config.dns) lines.push(`cluster DNS: other names go to ${dnsUpstreams(state)}`);
  if (config.semantics && config.semantics !== 'upstream') lines.push(`NetworkPolicy semantics: ${config.semantics} (ipBlocks do not match pod or node IPs)`);
  if (config.mode === 'vxlan' && config.vxlanChecksumOffload === false) {
    lines.push(`note: VXLAN checksum offload is off on flannel.1 (${offload?.reason ?? 'set off'}), and with it TSO: cross-node pod traffic gets a fraction of the throughput (--vxlan-checksum-offload=on forces it on)`);
  }
  for (const u of report.unschedulable) lines.push(`pending: ${u.key}: ${u.reason}`);
  for (const p of report.notListening) lines.push(`warning: ${p} is declared but nothing listens on it yet`);
  for (const p of report.serviceProblems) lines.push(`warning: ${p}`);
  for (const p of report.podProblems) lines.push(`warning: pod not started: ${p}`);
  lines.push('', `next: podnet get pods -A -o wide --name ${config.name}    podnet down --name ${config.name}`);
  return lines.join('\n');
}

function dnsUpstreams(state: LabState): string {
  const ups = state.dnsForwarder?.upstreams ?? [];
  const from = (state.config.dnsUpstream ?? 'host') === 'host' ? ' (the host\'s /etc/resolv.conf)' : '';
  return ups.length > 0 ? `${ups.map(formatUpstream).join(', ')}${from}` : `nowhere: they get SERVFAIL${from ? ' (no nameserver in the host\'s /etc/resolv.conf)' : ''}`;
}
