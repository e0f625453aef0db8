/**
 * Validation of the health checks (kubelet probes) a ContainerSpec carries over the control
 * protocol (see ../protocol.ts).
 * The manifest reader already checked them; this keeps the agent safe from any other client.
 * Pure.
 */
import type { LifecycleHandler, Probe, ProbeHandler } from '../../../model/types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max = 2 ** 31 - 1): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** Returns the health check when valid, else pushes the problems (with `at`) and returns undefined. */
export function checkHealthCheck(raw: unknown, at: string, errors: string[], mustSucceedOnce: boolean): Probe | undefined {
  if (!isObject(raw)) return void errors.push(`${at}: must be an object`);
  const before = errors.length;
  const timings = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const;
  for (const t of timings) {
    if (!isInt(raw[t], t === 'initialDelaySeconds' ? 0 : 1)) errors.push(`${at}.${t}: must be an integer >= ${t === 'initialDelaySeconds' ? 0 : 1}`);
  }
  if (mustSucceedOnce && raw.successThreshold !== 1) errors.push(`${at}.successThreshold: must be 1`);
  const handler = checkHandler(raw.handler, `${at}.handler`, errors);
  if (errors.length > before || !handler) return undefined;
  return {
    handler,
    initialDelaySeconds: raw.initialDelaySeconds as number,
    periodSeconds: raw.periodSeconds as number,
    timeoutSeconds: raw.timeoutSeconds as number,
    successThreshold: raw.successThreshold as number,
    failureThreshold: raw.failureThreshold as number,
  };
}

/** A preStop hook: exec or httpGet (as a probe's handler), or sleep for whole seconds. */
export function checkLifecycleHandler(raw: unknown, at: string, errors: string[]): LifecycleHandler | undefined {
  if (isObject(raw) && raw.kind === 'sleep') return isInt(raw.seconds, 0) ? { kind: 'sleep', seconds: raw.seconds } : void errors.push(`${at}.seconds: must be an integer >= 0`);
  if (isObject(raw) && raw.kind !== 'exec' && raw.kind !== 'httpGet') return void errors.push(`${at}.kind: must be exec, httpGet or sleep`);
  return checkHandler(raw, at, errors) as LifecycleHandler | undefined;
}

function checkHandler(h: unknown, at: string, errors: string[]): ProbeHandler | undefined {
  if (!isObject(h)) return void errors.push(`${at}: must be an object`);
  const port = (): boolean => isInt(h.port, 1, 65535) || (errors.push(`${at}.port: must be an integer 1-65535`), false);
  const host = (): boolean => optString(h.host) || (errors.push(`${at}.host: must be a string`), false);
  switch (h.kind) {
    case 'httpGet': {
      const headersOk = Array.isArray(h.headers) && h.headers.every((x) => isObject(x) && typeof x.name === 'string' && typeof x.value === 'string');
      if (!headersOk) errors.push(`${at}.headers: must be an array of {name, value} strings`);
      if (typeof h.path !== 'string' || !h.path.startsWith('/')) errors.push(`${at}.path: must be a string starting with /`);
      if (h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') errors.push(`${at}.scheme: must be HTTP or HTTPS`);
      return port() && host() && headersOk ? (h as ProbeHandler) : undefined;
    }
    case 'tcpSocket':
      return port() && host() ? (h as ProbeHandler) : undefined;
    case 'exec':
      if (isStrings(h.command) && h.command.length > 0) return h as ProbeHandler;
      return void errors.push(`${at}.command: must be a non-empty array of strings`);
    case 'grpc':
      if (!optString(h.service)) errors.push(`${at}.service: must be a string`);
      return port() && optString(h.service) ? (h as ProbeHandler) : undefined;
    default:
      return void errors.push(`${at}.kind: must be httpGet, tcpSocket, exec or grpc`);
  }
}
