/**
 * Starting the lab's API server (src/apiserver/main.ts) in the root namespace: at `up`, again
 * on apply and by the monitor when it died. It records {pid, port} in <state>/api/server.json;
 * its PID is under pids/ and it carries PODNET_STATE_DIR, so `podnet down` ends it.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiDir, ensureCredentials, type ApiCredentials } from '../apiserver/certs.js';
import { isAlive, startedFor } from './agent/cleanup.js';
import { baseEnv, pidsDir } from './agent/paths.js';
import { recordPid } from './agent/pidfiles.js';
import { programCommand } from './program.js';

const START_TIMEOUT_MS = 20_000;

export const apiServerLog = (stateDir: string): string => join(stateDir, 'apiserver.log');
const serverFile = (stateDir: string): string => join(apiDir(stateDir), 'server.json');

export interface ApiServerInfo { pid: number; port: number }

/** The running API server of the lab in `stateDir`, or null. */
export function runningApiServer(stateDir: string): ApiServerInfo | null {
  try {
    const info = JSON.parse(readFileSync(serverFile(stateDir), 'utf8')) as ApiServerInfo;
    return isAlive(info.pid) && startedFor(info.pid, stateDir) ? info : null;
  } catch {
    return null;
  }
}

/** Makes sure the API server runs; returns where it listens and its credentials. */
export async function ensureApiServer(stateDir: string): Promise<ApiServerInfo & { creds: ApiCredentials }> {
  const creds = ensureCredentials(stateDir); // before the process: its files are made once, here
  const running = runningApiServer(stateDir);
  if (running) return { ...running, creds };
  mkdirSync(pidsDir(stateDir), { recursive: true });
  const log = openSync(apiServerLog(stateDir), 'a');
  const [cmd, ...args] = programCommand('apiserver/main');
  // A young generation of 2 MiB semi-spaces instead of V8's 16: the process makes short-lived
  // garbage on every follow of the lab, and the larger young space only grew its RSS (500 pods:
  // 144 MiB, 116 with this; `bench -- api-lab`), at no measurable cost in time.
  const child = spawn(cmd, ['--max-semi-space-size=2', ...args], { detached: true, stdio: ['ignore', log, log], env: baseEnv(stateDir), cwd: '/' });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`the lab's API server did not start; see ${apiServerLog(stateDir)}`);
  recordPid(stateDir, child.pid);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (existsSync(serverFile(stateDir))) {
      const info = JSON.parse(readFileSync(serverFile(stateDir), 'utf8')) as ApiServerInfo;
      if (info.pid === child.pid) return { ...info, creds };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the lab's API server did not start; see ${apiServerLog(stateDir)}`);
}
