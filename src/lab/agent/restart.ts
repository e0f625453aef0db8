/**
 * Restart policy for command containers, as kubelet does it: "exponential back-off delay (10s,
 * 20s, 40s, …), that is capped at five minutes. Once a container has executed for 10 minutes
 * without any problems, the kubelet resets the restart backoff timer for that container." Pure.
 */
import type { RestartPolicy } from './protocol.js';

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_CAP_MS = 300_000;
export const RESET_AFTER_MS = 600_000;

/**
 * Whether a container that exited is started again. `exitCode` is the process' exit code, or
 * 128 + signal number when a signal killed it (as kubelet reports it), so a kill is a failure.
 */
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number): boolean {
  switch (policy ?? 'Always') {
    case 'Always':
      return true;
    case 'OnFailure':
      return exitCode !== 0;
    case 'Never':
      return false;
  }
}

/** Consecutive failures after an exit, given the run's duration. */
export function nextFailureCount(previous: number, ranForMs: number): number {
  return ranForMs >= RESET_AFTER_MS ? 1 : previous + 1;
}

/** Delay before the restart that follows the `failures`-th consecutive exit (failures >= 1). */
export function restartDelayMs(failures: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 20));
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** exponent);
}

/** The exit code kubelet would report: the code itself, or 128 + the signal's number. */
export function exitCodeOf(code: number | null, signalNumber: number | undefined): number {
  if (code !== null) return code;
  return 128 + (signalNumber ?? 0);
}
