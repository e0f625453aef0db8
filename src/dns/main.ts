#!/usr/bin/env node
/**
 * podnet's cluster DNS as a pod (kube-system/coredns): serves the lab's records on port 53, UDP
 * and TCP, and follows the lab's state file so answers change within a second of an apply.
 * Names outside the zone go to the lab's forwarder (forwarder.ts) over its Unix sockets in the
 * state directory, when `--dns-upstream` gave any upstream; else they get SERVFAIL at once.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { processLabFiles, readStateFile, type LabState } from '../lab/state.js';
import { CLUSTER_ZONE } from '../model/cluster-dns.js';
import { labRecords } from './lab-records.js';
import type { RecordSet } from './records.js';
import { forwarderDeadlineMs, forwarderDir } from './forwarder.js';
import { DnsServer } from './server.js';

const { stateDir, stateFile } = processLabFiles('dns');

function readState(): LabState {
  return readStateFile(stateFile).state;
}

function records(state = readState()): RecordSet {
  return labRecords(state);
}

const state = readState();
// The upstreams are fixed at `up`: the forwarder relays to them, this server only to it.
const upstreams = state.dnsForwarder?.upstreams ?? [];
const server = await DnsServer.start({
  address: '0.0.0.0',
  port: 53,
  records: records(state),
  ...(upstreams.length > 0 ? { upstreams: [{ relay: forwarderDir(stateDir) }], forwardTimeoutMs: forwarderDeadlineMs(upstreams.length) } : {}),
});
process.stdout.write(`podnet dns: serving ${CLUSTER_ZONE} on :53; other names: ${upstreams.length > 0 ? 'the lab\'s forwarder' : 'SERVFAIL'}\n`);
watchFile(stateFile, { interval: 200 }, () => {
  try {
    server.update(records());
    process.stdout.write('podnet dns: records updated\n');
  } catch (e) {
    process.stdout.write(`podnet dns: keeping the old records: ${(e as Error).message}\n`);
  }
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    unwatchFile(stateFile);
    void server.close().finally(() => process.exit(0));
  });
}
