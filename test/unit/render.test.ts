// Golden tests for the rendered ip plans (regenerate deliberately: UPDATE_GOLDEN=1 npx vitest run test/unit/render.test.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPodsAdd, renderPodsDel } from '../../src/lab/network.js';
import { placePods, planNodes, type LabConfig } from '../../src/model/lab.js';
import type { Pod } from '../../src/model/types.js';
import { renderLabNetwork, renderLabTeardown } from '../../src/render/lab-network.js';
import { formatPlan } from '../../src/render/plan.js';

const GOLDEN = join(__dirname, '..', 'golden');

function golden(name: string, text: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

function config(mode: LabConfig['mode']): LabConfig {
  return { name: 'gold', nodes: 3, mode, podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.7.0/24', ...(mode === 'routed' ? { lbCidr: '100.64.8.0/24' } : {}) };
}

function pod(name: string, extra: Partial<Pod> = {}): Pod {
  return { namespace: 'default', name, labels: {}, ip: '', hostNetwork: false, containers: [], owner: { kind: 'Pod', name }, source: { file: 'x.yaml', doc: 0 }, ...extra };
}

describe('lab network plans', () => {
  for (const mode of ['routed', 'vxlan'] as const) {
    it(`renders the ${mode} node network`, () => {
      const c = config(mode);
      golden(`lab-network-${mode}.txt`, formatPlan(renderLabNetwork(c, planNodes(c, []))));
    });
  }

  it('vxlan: checksum offload stays on unless the config turns it off (then ethtool on every node, after the FDB)', () => {
    const on = config('vxlan');
    expect(formatPlan(renderLabNetwork({ ...on, vxlanChecksumOffload: true }, planNodes(on, [])))).toBe(formatPlan(renderLabNetwork(on, planNodes(on, []))));
    const off = { ...on, vxlanChecksumOffload: false };
    golden('lab-network-vxlan-offload-off.txt', formatPlan(renderLabNetwork(off, planNodes(off, []))));
    const routed = config('routed');
    expect(formatPlan(renderLabNetwork({ ...routed, vxlanChecksumOffload: false }, planNodes(routed, [])))).not.toMatch(/ethtool/);
  });

  it('renders pod ADD and DEL batched per namespace', () => {
    const c = config('routed');
    const nodes = planNodes(c, []);
    const pods = [pod('a'), pod('b'), pod('c', { nodeName: 'node-3' }), pod('h', { hostNetwork: true })];
    const { placed } = placePods(c.name, pods, nodes);
    golden('pods-add.txt', formatPlan(renderPodsAdd(c, nodes, placed)));
    golden('pods-del.txt', formatPlan(renderPodsDel(c, nodes, placed)));
  });

  it('tears down only the namespaces of its own lab', () => {
    const plan = renderLabTeardown('gold', ['pn-gold_node-1', 'pn-gold_ul', 'pn-gold-x_node-1', 'other', 'pn-golden_node-1']);
    expect(formatPlan(plan)).toBe('# stage 1\nip -batch - <<EOF\nnetns del pn-gold_node-1\nnetns del pn-gold_ul\nEOF\n');
  });
});
