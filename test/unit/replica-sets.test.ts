// A Deployment's ReplicaSets and revisions as the deployment controller keeps them
// (src/apiserver/replica-sets.ts), step by step through a rollout, a second one and an undo.
import { describe, expect, it } from 'vitest';
import { controlledBy, deploymentReplicaSets, revisionOf } from '../../src/apiserver/replica-sets.js';
import type { Obj } from '../../src/apiserver/store.js';
import { podTemplateHash } from '../../src/model/names.js';
import { templateHash } from '../../src/api/defaults.js';

const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } });
const deployment = (image: string, spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', ...annotations } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template(image), ...spec },
});
const summary = (sets: Obj[]) => sets.map((rs) => ({ name: rs.metadata.name, revision: revisionOf(rs), replicas: (rs.spec as { replicas: number }).replicas }));

describe('deploymentReplicaSets', () => {
  it('a new Deployment: one ReplicaSet, revision 1, its template hash in name, labels, selector and template', () => {
    const d = deployment('web:1', {}, { 'kubernetes.io/change-cause': 'first' });
    const { replicaSets, revision } = deploymentReplicaSets(d, 'uid-1', []);
    const hash = templateHash(template('web:1'));
    expect(revision).toBe(1);
    expect(replicaSets).toHaveLength(1);
    const [rs] = replicaSets;
    expect(rs.metadata).toEqual({
      name: `web-${hash}`,
      namespace: 'shop',
      labels: { app: 'web', 'pod-template-hash': hash },
      annotations: { 'kubernetes.io/change-cause': 'first', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4', 'deployment.kubernetes.io/revision': '1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-1', controller: true, blockOwnerDeletion: true }],
    });
    expect(rs.spec).toEqual({
      replicas: 3,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': hash } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
    });
  });

  it('max-replicas: maxSurge as a number or a percentage rounded up; Recreate has none', () => {
    const max = (spec: Record<string, unknown>) => deploymentReplicaSets(deployment('web:1', spec), 'u', []).replicaSets[0].metadata.annotations!['deployment.kubernetes.io/max-replicas'];
    expect(max({ replicas: 10 })).toBe('13');
    expect(max({ replicas: 10, strategy: { rollingUpdate: { maxSurge: 1 } } })).toBe('11');
    expect(max({ replicas: 10, strategy: { rollingUpdate: { maxSurge: '50%' } } })).toBe('15');
    expect(max({ replicas: 10, strategy: { type: 'Recreate' } })).toBe('10');
  });

  it('rollout, rollout, undo: new revisions for new templates; undo makes the old ReplicaSet current with the next revision', () => {
    const one = deploymentReplicaSets(deployment('web:1'), 'u', []).replicaSets;
    const two = deploymentReplicaSets(deployment('web:2'), 'u', one);
    expect(two.revision).toBe(2);
    const h = (image: string) => `web-${templateHash(template(image))}`;
    expect(summary(two.replicaSets)).toEqual([{ name: h('web:2'), revision: 2, replicas: 3 }, { name: h('web:1'), revision: 1, replicas: 0 }]);
    // Unchanged: the same again.
    expect(deploymentReplicaSets(deployment('web:2'), 'u', two.replicaSets)).toEqual(two);
    const three = deploymentReplicaSets(deployment('web:3'), 'u', two.replicaSets);
    expect(summary(three.replicaSets).map((s) => s.revision)).toEqual([3, 2, 1]);
    // `rollout undo` (to revision 2): web:2's ReplicaSet comes back as revision 4 and remembers 2.
    const undo = deploymentReplicaSets(deployment('web:2'), 'u', three.replicaSets);
    expect(undo.revision).toBe(4);
    expect(summary(undo.replicaSets)).toEqual([{ name: h('web:2'), revision: 4, replicas: 3 }, { name: h('web:3'), revision: 3, replicas: 0 }, { name: h('web:1'), revision: 1, replicas: 0 }]);
    expect(undo.replicaSets[0].metadata.annotations!['deployment.kubernetes.io/revision-history']).toBe('2');
    const again = deploymentReplicaSets(deployment('web:3'), 'u', undo.replicaSets);
    expect(again.revision).toBe(5);
    expect(again.replicaSets[0].metadata.annotations!['deployment.kubernetes.io/revision-history']).toBe('3');
  });

  it('revisionHistoryLimit keeps the newest old ReplicaSets', () => {
    let sets: Obj[] = [];
    for (const image of ['a', 'b', 'c', 'd']) sets = deploymentReplicaSets(deployment(image, { revisionHistoryLimit: 2 }), 'u', sets).replicaSets;
    expect(summary(sets).map((s) => s.revision)).toEqual([4, 3, 2]);
    expect(summary(deploymentReplicaSets(deployment('e', { revisionHistoryLimit: 0 }), 'u', sets).replicaSets).map((s) => s.revision)).toEqual([5]);
  });

  it('controlledBy: the controller reference by name and uid (a reference without a uid by name only)', () => {
    const rs = (ref: Record<string, unknown>): Obj => ({ metadata: { name: 'web-x', ownerReferences: [ref] } });
    expect(controlledBy(rs({ kind: 'Deployment', name: 'web', uid: 'u', controller: true }), 'web', 'u')).toBe(true);
    expect(controlledBy(rs({ kind: 'Deployment', name: 'web', uid: 'old', controller: true }), 'web', 'u')).toBe(false);
    expect(controlledBy(rs({ kind: 'Deployment', name: 'web', uid: '', controller: true }), 'web', 'u')).toBe(true);
    expect(controlledBy(rs({ kind: 'Deployment', name: 'web', uid: 'u' }), 'web', 'u')).toBe(false);
    expect(controlledBy(rs({ kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }), 'web', 'u')).toBe(false);
  });
});

describe('podTemplateHash', () => {
  it('a template that went through a typed client (null timestamps, empty structs) hashes as the one it came from', () => {
    const typed = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', resources: {} }] } };
    expect(podTemplateHash(typed)).toBe(podTemplateHash(template('web:1')));
    expect(podTemplateHash(template('web:2'))).not.toBe(podTemplateHash(template('web:1')));
  });
});

describe('podTemplateHash: what counts', () => {
  it('an emptyDir volume is not the same as a volume without a source', () => {
    const withVolume = (v: Record<string, unknown>) => ({ ...template('web:1'), spec: { ...template('web:1').spec, volumes: [{ name: 'tmp', ...v }] } });
    expect(podTemplateHash(withVolume({ emptyDir: {} }))).not.toBe(podTemplateHash(withVolume({})));
  });
});
