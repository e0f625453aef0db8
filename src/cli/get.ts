/** `podnet get`: kubectl-style tables and List objects for a running lab. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { agentReports } from '../lab/lab.js';
import { labCluster } from '../api/lab-cluster.js';
import { labView } from '../lab/get-view.js';
import type { AgentPodStatus } from '../lab/agent-client.js';
import { formatTable } from '../output/table.js';
import { oneOf, run, write } from './common.js';
import { DEFAULT_LAB, requireLab } from './lab-common.js';

const RESOURCES: Record<string, string> = {
  nodes: 'nodes', node: 'nodes', no: 'nodes',
  pods: 'pods', pod: 'pods', po: 'pods',
  services: 'services', service: 'services', svc: 'services',
  endpointslices: 'endpointslices', endpointslice: 'endpointslices',
  ingress: 'ingress', ingresses: 'ingress', ing: 'ingress',
  networkpolicies: 'networkpolicies', networkpolicy: 'networkpolicies', netpol: 'networkpolicies',
  clusternetworkpolicies: 'clusternetworkpolicies', clusternetworkpolicy: 'clusternetworkpolicies', cnp: 'clusternetworkpolicies',
  adminnetworkpolicies: 'adminnetworkpolicies', adminnetworkpolicy: 'adminnetworkpolicies', anp: 'adminnetworkpolicies',
  baselineadminnetworkpolicies: 'baselineadminnetworkpolicies', baselineadminnetworkpolicy: 'baselineadminnetworkpolicies', banp: 'baselineadminnetworkpolicies',
  'network-attachment-definitions': 'network-attachment-definitions', 'network-attachment-definition': 'network-attachment-definitions', 'net-attach-def': 'network-attachment-definitions',
};

const CLUSTER_SCOPED = new Set(['nodes', 'clusternetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies']);

interface GetOptions { name: string; namespace?: string; allNamespaces?: boolean; output?: string }

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('show nodes, pods, services, endpointslices, ingress, networkpolicies, the cluster policies (clusternetworkpolicies, adminnetworkpolicies, baselineadminnetworkpolicies) or network-attachment-definitions of a lab')
    .argument('<resource>', Object.keys(RESOURCES).filter((k) => RESOURCES[k] === k).join('|'))
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-o, --output <format>', 'wide, json or yaml')
    .action((resource: string, opts: GetOptions) =>
      run(async () => {
        const kind = oneOf('resource', resource, Object.keys(RESOURCES));
        const format = opts.output === undefined ? 'table' : oneOf('-o', opts.output, ['wide', 'json', 'yaml'] as const);
        const state = requireLab(opts.name);
        const cluster = labCluster(state);
        const agents = ['pods', 'nodes'].includes(RESOURCES[kind]) || (RESOURCES[kind] === 'endpointslices' && !state.endpoints) ? await agentReports(state) : { pods: new Map<string, AgentPodStatus>(), answered: new Set<string>() };
        const view = labView(RESOURCES[kind], state, cluster, agents.pods, opts, agents.answered);
        if (format === 'json') write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: view.items }, null, 2));
        else if (format === 'yaml') write(stringify({ apiVersion: 'v1', kind: 'List', items: view.items }));
        else write(view.rows.length === 0 ? `No resources found${opts.allNamespaces || CLUSTER_SCOPED.has(RESOURCES[kind]) ? '' : ` in ${opts.namespace} namespace`}.` : formatTable(format === 'wide' ? view.wideHeaders : view.headers, view.rows.map((r) => (format === 'wide' ? r : r.slice(0, view.headers.length)))));
      }),
    );
}

