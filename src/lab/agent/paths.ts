/** Where the agent keeps its files inside the lab's state directory. */
import path from 'node:path';

export const agentsDir = (stateDir: string): string => path.join(stateDir, 'agents');
export const logsDir = (stateDir: string): string => path.join(stateDir, 'logs');
/** One empty file per live child process, named by its PID (see cleanup.ts). */
export const pidsDir = (stateDir: string): string => path.join(stateDir, 'pids');

export const socketPath = (stateDir: string, node: string): string => path.join(agentsDir(stateDir), `${node}.sock`);
export const pidFilePath = (stateDir: string, node: string): string => path.join(agentsDir(stateDir), `${node}.pid`);

export function containerLogPath(stateDir: string, namespace: string, pod: string, container: string): string {
  return path.join(logsDir(stateDir), `${namespace}_${pod}_${container}.log`);
}

/** The environment variable every child carries, naming its state directory (absolute). */
export const STATE_DIR_ENV = 'PODNET_STATE_DIR';

/** A minimal environment for processes started inside pods. */
export function baseEnv(stateDir: string): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    [STATE_DIR_ENV]: path.resolve(stateDir),
  };
}
