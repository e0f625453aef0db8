/**
 * Init containers as kubelet sequences them, and how `get pods` shows them. Pure.
 *
 * "Each init container must complete successfully before the next one starts." A sidecar (an
 * init container with restartPolicy: Always) starts, and the next init container starts once it
 * is started (past its startupProbe); it keeps running beside the app containers. "If a Pod's
 * init container fails, the kubelet repeatedly restarts that init container until it succeeds.
 * However, if the Pod has a restartPolicy of Never, and an init container fails during startup
 * of that Pod, Kubernetes treats the overall Pod as failed."
 */
import type { ContainerStatus, RestartPolicy } from './protocol.js';

export interface InitEntry {
  sidecar: boolean;
  /** undefined: not created yet. */
  status: ContainerStatus | undefined;
}

export type InitStep = { action: 'start'; index: number } | { action: 'wait' } | { action: 'failed'; index: number } | { action: 'done' };

export function nextInitStep(inits: readonly InitEntry[]): InitStep {
  for (let i = 0; i < inits.length; i++) {
    const { sidecar, status } = inits[i];
    if (status === undefined) return { action: 'start', index: i };
    if (sidecar) {
      if (status.started) continue;
      return { action: 'wait' };
    }
    if (status.state === 'exited') {
      if (status.exitCode === 0) continue;
      return { action: 'failed', index: i };
    }
    return { action: 'wait' };
  }
  return { action: 'done' };
}

/** The restart policy an init container runs under: "OnFailure" for pods that restart, else Never. */
export function initRestartPolicy(podPolicy: RestartPolicy | undefined, sidecar: boolean): RestartPolicy {
  if (sidecar) return 'Always';
  return podPolicy === 'Never' ? 'Never' : 'OnFailure';
}

/**
 * kubectl's STATUS while init containers have not all completed: `Init:N/M` (N completed of M),
 * `Init:Error` (one exited non-zero and will not run again), `Init:CrashLoopBackOff` (one failed
 * and waits to restart); undefined once every init container is done (or started, for sidecars).
 */
export function initStatusText(inits: readonly InitEntry[]): string | undefined {
  for (let i = 0; i < inits.length; i++) {
    const { sidecar, status } = inits[i];
    if (status?.state === 'exited' && status.exitCode === 0) continue;
    if (sidecar && status?.started) continue;
    if (status?.state === 'exited') return 'Init:Error';
    if (status?.state === 'waiting' && status.exitCode !== undefined) return 'Init:CrashLoopBackOff';
    return `Init:${i}/${inits.length}`;
  }
  return undefined;
}
