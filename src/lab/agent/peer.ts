/**
 * Who is at the other end of a control-socket connection: SO_PEERCRED, read by podnet's launcher
 * (`podnet-sandbox --peercred`, native/peercred.c) from the socket handed to it as fd 3, since
 * Node has no call for it. An agent serves only root peers (issue 14: "agent sockets accept only
 * root peers"): the socket's mode (0600 in a 0700 directory) already stops other users, but not
 * a process that holds CAP_DAC_OVERRIDE without being root.
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** The connection's file descriptor (libuv's, on Unix), or undefined when Node does not show it. */
function socketFd(conn: net.Socket): number | undefined {
  const fd = (conn as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/** The peer's credentials, or why they could not be read. */
export function peerCredentials(conn: net.Socket, launcher: string): Promise<PeerCredentials | { error: string }> {
  const fd = socketFd(conn);
  if (fd === undefined) return Promise.resolve({ error: 'the connection has no file descriptor' });
  return new Promise((resolve) => {
    const child = spawn(launcher, ['--peercred'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', (e) => resolve({ error: e.message }));
    child.once('close', (code) => {
      const m = /^(-?\d+) (\d+) (\d+)\n$/.exec(out);
      if (code !== 0 || m === null) resolve({ error: err.trim() || `podnet-sandbox --peercred exited with ${code}` });
      else resolve({ pid: Number(m[1]), uid: Number(m[2]), gid: Number(m[3]) });
    });
  });
}

/** Why a peer may not use an agent's socket, or undefined for root. */
export async function refuseNonRoot(conn: net.Socket, launcher: string): Promise<string | undefined> {
  const cred = await peerCredentials(conn, launcher);
  if ('error' in cred) return `cannot check the peer's credentials: ${cred.error}`;
  return cred.uid === 0 ? undefined : `only root may use this socket (peer pid ${cred.pid}, uid ${cred.uid})`;
}
