/**
 * podnet's per-node agent (its kubelet): `node dist/lab/agent/main.js --state-dir DIR --node NODE
 * --node-netns NETNS`. Serves the control protocol (protocol.ts) on DIR/agents/NODE.sock, writes
 * DIR/agents/NODE.pid once it listens, logs to stderr (whoever starts it points that at a file).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from './agent.js';
import { useUnsandboxedBaseline } from './command-container.js';
import { serveControl } from './control.js';
import { agentsDir, logsDir, pidFilePath, pidsDir, socketPath } from './paths.js';
import { LAUNCHER, layersDir, removeDeadAgentsLayers } from './sandbox.js';
import { refuseNonRoot } from './peer.js';

function main(): void {
  const { values } = parseArgs({
    options: { 'state-dir': { type: 'string' }, node: { type: 'string' }, 'node-netns': { type: 'string' }, 'unsandboxed-baseline': { type: 'boolean' } },
  });
  if (values['unsandboxed-baseline']) useUnsandboxedBaseline(); // benchmarks only: see command-container.ts
  const stateDir = values['state-dir'];
  const node = values.node;
  const nodeNetns = values['node-netns'];
  if (!stateDir || !node || !nodeNetns) {
    process.stderr.write('usage: main.js --state-dir DIR --node NODE --node-netns NETNS\n');
    process.exit(2);
  }
  const dir = path.resolve(stateDir);
  for (const d of [agentsDir(dir), logsDir(dir), pidsDir(dir)]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  // The control socket takes root's requests only: the agents' directory is root's alone (0700),
  // the socket 0600, and each connection's peer must be uid 0 (SO_PEERCRED, peer.ts: a process
  // with CAP_DAC_OVERRIDE passes the modes). No container sees the path at all: the sandbox hides
  // the state root (sandbox-argv.ts).
  fs.chmodSync(agentsDir(dir), 0o700);

  process.stderr.on('error', () => {}); // logging must never stop the agent (e.g. EPIPE)
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  process.on('uncaughtException', (err) => {
    log(`fatal: ${err.stack ?? err.message}`);
    process.exit(1);
  });

  const agent = new Agent({ stateDir: dir, node, nodeNetns, log });
  const sock = socketPath(dir, node);
  const pidFile = pidFilePath(dir, node);
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    server.close();
    fs.rmSync(sock, { force: true });
    fs.rmSync(pidFile, { force: true });
    log('stopped');
    process.exit(0);
  };

  const server = serveControl(
    (req) => {
      switch (req.op) {
        case 'sync':
          return agent.sync(req.pods, req.terminate);
        case 'status':
          return agent.status();
        case 'shutdown':
          return agent.shutdown().then(() => ({ ok: true as const, pods: [] }));
      }
    },
    (req) => {
      if (req.op === 'shutdown') exit();
    },
    async (conn) => {
      const why = await refuseNonRoot(conn, LAUNCHER);
      if (why !== undefined) log(`control socket: refused a connection: ${why}`);
      return why;
    },
  );
  const onSignal = (signal: string): void => {
    log(`${signal}: stopping all pods`);
    void agent.shutdown().then(exit, exit);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGHUP', () => {}); // detached from a terminal: a hangup is no reason to stop

  fs.rmSync(sock, { force: true }); // a stale socket from an agent that died
  removeDeadAgentsLayers(layersDir(dir)); // what agents that died left (their containers died with them)
  server.listen(sock, () => {
    fs.chmodSync(sock, 0o600);
    const tmp = `${pidFile}.${process.pid}.tmp`;
    fs.rmSync(tmp, { force: true });
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    fs.writeSync(fd, `${process.pid}\n`);
    fs.closeSync(fd);
    fs.renameSync(tmp, pidFile);
    log(`agent for node ${node} (netns ${nodeNetns}) listening on ${sock}, pid ${process.pid}`);
  });
  server.on('error', (err) => {
    log(`control socket: ${err.message}`);
    process.exit(1);
  });
}

main();
