/**
 * A container's lifecycle hooks. preStop runs: "PreStop is called immediately before a container
 * is terminated due to an API request or management event [...] The Pod's termination grace
 * period countdown begins before the PreStop hook is executed." postStart is not run (warned).
 * A handler is exactly one of exec, httpGet, sleep; tcpSocket is read as the API documents it:
 * "Deprecated. TCPSocket is NOT supported as a LifecycleHandler and kept for backward
 * compatibility [...] lifecycle hooks will fail at runtime when it is specified."
 */
import type { ContainerPort, LifecycleHandler } from '../../model/types.js';
import { join, readInt, readObj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';
import { readHandler } from './probe.js';

const HANDLERS = ['exec', 'httpGet', 'sleep', 'tcpSocket'] as const;

/** lifecycle.preStop of the container at `path` (undefined when absent, invalid or not run). */
export function readPreStop(v: unknown, path: string, p: ObjectProblems, ports: readonly ContainerPort[]): LifecycleHandler | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  if (o.postStart !== undefined && o.postStart !== null) p.warn(join(path, 'postStart'), 'not run: a lab runs preStop hooks only');
  const at = join(path, 'preStop');
  const hook = readObj(o.preStop, at, p);
  if (!hook) return undefined;
  const present = HANDLERS.filter((h) => hook[h] !== undefined && hook[h] !== null);
  if (present.length !== 1) {
    p.error(at, `must have exactly one handler (exec, httpGet, sleep), ${present.length === 0 ? 'none found' : `found ${present.join(', ')}`}`);
    return undefined;
  }
  const kind = present[0]!;
  if (kind === 'tcpSocket') {
    p.warn(join(at, 'tcpSocket'), 'not run: TCPSocket is not supported as a LifecycleHandler (the hook fails, as on kubelet)');
    return undefined;
  }
  if (kind === 'sleep') {
    const s = readObj(hook.sleep, join(at, 'sleep'), p);
    if (!s) return undefined;
    // "Seconds is the number of seconds to sleep" (required; kube-apiserver 1.32 wants it above 0).
    if (s.seconds === undefined) p.error(join(join(at, 'sleep'), 'seconds'), 'required field is missing');
    const seconds = readInt(s.seconds, join(join(at, 'sleep'), 'seconds'), p, 1);
    return seconds === undefined ? undefined : { kind: 'sleep', seconds };
  }
  return readHandler(kind, hook[kind], join(at, kind), p, ports) as LifecycleHandler | undefined;
}
