/**
 * The pods' events through the lab's Kubernetes API with the real kubectl: `kubectl describe pod`
 * lists the scheduler's and kubelet's events of the pod, `kubectl get events` the namespace's.
 * Needs root and kubectl; unique lab (prefix kevt), cleaned up on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, fixture, TestLab, until } from './helpers.js';

const T = 180_000;

describe.skipIf(!CAN_RUN_LAB || !HAVE_KUBECTL)('pod events through the lab\'s Kubernetes API (root, real pods)', () => {
  const lab = new TestLab('kevt');
  const kubectl = kubectlFor(lab);

  beforeAll(async () => {
    await lab.up(['-f', fixture('apply-base.yaml')]);
  }, T);

  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('kubectl describe pod shows Scheduled, Pulled, Created and Started; kubectl get events lists them', async () => {
    // The store follows the lab every second: wait for both containers' Started events.
    let describe = '';
    await until('kubectl describe pod solo to show its events', () => {
      const r = kubectl(['describe', 'pod', 'solo']);
      describe = r.stdout;
      return r.status === 0 && (describe.match(/Started\s+\S+\s+kubelet\s+Started container/g) ?? []).length === 2;
    }, 60_000);
    const events = describe.slice(describe.indexOf('Events:'));
    expect(events).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
    expect(events).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/solo to \S+/);
    expect(events).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container web/);
    expect(events).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container sleeper/);
    expect(events).toMatch(/Normal\s+Pulled\s+\S+\s+kubelet\s+Container image "registry.example\/busybox:1" already present on machine/);
    expect(events).toMatch(/Normal\s+Created\s+\S+\s+kubelet\s+Created container: web/);
    expect(events).not.toContain('<unknown>');

    const get = kubectl(['get', 'events']);
    expect(get.stderr).toBe('');
    expect(get.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
    expect(get.stdout).toMatch(/\s+Normal\s+Scheduled\s+pod\/solo\s+Successfully assigned default\/solo to /);
    expect(get.stdout).toMatch(/\s+Normal\s+Started\s+pod\/solo\s+Started container sleeper/);
    // The Deployment's pods have theirs too; a field selector narrows to one pod's.
    const solo = kubectl(['get', 'events', '--field-selector', 'involvedObject.name=solo', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    expect(solo.stdout.trim().split('\n').sort()).toEqual(['Created', 'Created', 'Pulled', 'Pulled', 'Scheduled', 'Started', 'Started']);
    // The store follows the lab every second; an event that says the same is not written again.
    const versions = () => kubectl(['get', 'events', '--field-selector', 'involvedObject.name=solo', '-o', 'jsonpath={.items[*].metadata.resourceVersion}']).stdout;
    const before = versions();
    await new Promise((r) => setTimeout(r, 2500));
    expect(versions()).toBe(before);
    expect(kubectl(['get', 'events', '-o', 'wide']).stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+SUBOBJECT\s+SOURCE\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME\n/);
  }, T);

  it('a failing liveness probe: Killing events, and the restarted container\'s Last State in describe', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: unlive}
spec:
  containers:
  - name: app
    image: busybox
    command: [sleep, '3600']
    livenessProbe: {tcpSocket: {port: 7777}, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2}
`;
    const applied = kubectl(['apply', '-f', '-'], manifest);
    expect(applied.status, applied.stderr).toBe(0);
    let describe = '';
    await until('a Killing event and a Last State for pod unlive', () => {
      describe = kubectl(['describe', 'pod', 'unlive']).stdout;
      return /Normal\s+Killing\s+\S+( \(x\d+ over \S+\))?\s+kubelet\s+Container app failed liveness probe, will be restarted/.test(describe) && describe.includes('Last State:') && /Restart Count:\s+[1-9]/.test(describe);
    }, 90_000);
    // The previous run ended on the kubelet's SIGTERM: exit 143, reason Error.
    expect(describe).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+143\n\s+Started:\s+.+\n\s+Finished:\s+.+\n/);
    const reasons = kubectl(['get', 'events', '--field-selector', 'involvedObject.name=unlive,reason=Killing', '-o', 'jsonpath={.items[*].message}']);
    expect(reasons.stdout).toBe('Container app failed liveness probe, will be restarted');
  }, T);
});
