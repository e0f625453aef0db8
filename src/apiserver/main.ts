#!/usr/bin/env node
/**
 * The lab's API server process (root namespace, one per lab, started by src/lab/apiserver.ts):
 * loads its store (<state>/api/store.jsonl, store-file.ts) or starts empty, follows the lab (state
 * file and agents, every second) into the store, journals every change and serves HTTPS on
 * 127.0.0.1 at the port recorded in <state>/api/server.json (the same one after a restart, as
 * the kubeconfig names it). Writes (create, update, patch, delete) go through the lab's door
 * (src/apiserver/lab-door.ts): checked as `podnet apply` checks, stored, then reconciled.
 * Carries PODNET_STATE_DIR, so `podnet down` ends it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LinuxHost } from '../host/host.js';
import { containerLogPath } from '../lab/agent/paths.js';
import { stdinPath } from '../lab/agent/stdin.js';
import { agentReports } from '../lab/lab.js';
import { labCluster } from '../api/lab-cluster.js';
import { sandboxedExec } from '../lab/exec.js';
import { dialPod } from '../lab/dial.js';
import { processLabFiles, readStateFile, writeFileAtomic } from '../lab/state.js';
import { apiDir, ensureCredentials } from './certs.js';
import { LabDoor } from './lab-door.js';
import { showWrite, syncStore } from './lab-objects.js';
import { createApiServer } from './server.js';
import { serverStore } from './store.js';
import { persistStore } from './store-file.js';
import { resourceOfKind } from './resources.js';

const PODS = resourceOfKind('v1', 'Pod')!;

const { stateDir, stateFile } = processLabFiles('apiserver');
process.env.PODNET_STATE_ROOT = dirname(stateDir);
const log = (line: string) => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
process.stderr.on('error', () => {});

const dir = apiDir(stateDir);
const serverFile = join(dir, 'server.json');
const creds = ensureCredentials(stateDir);
const store = serverStore();
persistStore(store, join(dir, 'store.jsonl'));

// Writes are stored (pending.jsonl) and then applied to the lab the way `podnet apply` goes; the
// store follows at once after each write and after each round of the lab's reconcile.
const door = new LabDoor(basename(stateDir), stateDir, new LinuxHost(), (changes, replaced = []) => {
  if (!changes) {
    // A deleted pod made again under its name is a new object (a new uid): `kubectl delete` waits for that.
    for (const key of replaced) {
      const [ns, name] = key.split('/');
      if (store.get(PODS, ns, name)?.origin === 'lab') store.delete(PODS, ns, name);
    }
    return follow();
  }
  // The written objects at once (what the lab makes of them comes with the next follow), after
  // any follow under way: one that read the lab before this write must not undo it afterwards.
  following = following.then(() => showWrite(store, changes));
  return following;
}, log);

let lastState = '';
/**
 * One follow at a time, each reading the state afresh when it starts: a tick that read the
 * state before a write must not finish after the write's own follow and undo it in the store.
 */
let following: Promise<void> = Promise.resolve();
function follow(): Promise<void> {
  following = following.then(followOnce);
  return following;
}
async function followOnce(): Promise<void> {
  try {
    const read = readStateFile(stateFile);
    // The store shows the writes it accepted before the lab has them (their pods Pending).
    const state = { ...read.state, objects: door.objectsOver(read.state.objects) };
    const agents = await agentReports(state, 2_000);
    // Unchanged state, writes and agents: nothing to do (the common case every second).
    const key = `${read.text}:${JSON.stringify([...door.pendingKeys()])}:${JSON.stringify([...agents.pods.values()])}:${[...agents.answered].join(',')}`;
    if (key === lastState) return;
    lastState = key;
    syncStore(store, state, labCluster(state), agents.pods, agents.answered, door.pendingKeys());
  } catch (e) {
    log(`following the lab: ${(e as Error).message}`);
  }
}

const previous = existsSync(serverFile) ? (JSON.parse(readFileSync(serverFile, 'utf8')) as { port: number }).port : 0;
const server = createApiServer({ cert: creds.cert, key: creds.key, clientCA: creds.caCert, token: creds.token, store, door, logFile: (ns, pod, c) => containerLogPath(stateDir, ns, pod, c), stdinFile: (ns, pod, c) => stdinPath(stateDir, ns, pod, c),
  // kubectl exec: in the pod's container sandbox, from the lab's state as it is now (this process is root).
  exec: (key, container, command) => sandboxedExec(readStateFile(stateFile).state, key, container, command),
  // kubectl port-forward: to localhost:PORT inside the pod's network namespace.
  portForward: (key, port) => dialPod(readStateFile(stateFile).state, key, port),
});
await follow(); // the store holds the lab before the first request is answered
server.listen(previous, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  writeFileAtomic(serverFile, `${JSON.stringify({ pid: process.pid, port })}\n`);
  log(`API server for ${stateDir}: https://127.0.0.1:${port} (resourceVersion ${store.rv})`);
});
const tick = async () => {
  await follow();
  setTimeout(() => void tick(), 1_000);
};
setTimeout(() => void tick(), 1_000);
