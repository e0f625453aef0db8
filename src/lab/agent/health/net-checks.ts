/**
 * The network health checks, as kubelet performs its probes: httpGet, tcpSocket and grpc against
 * `host`. They run in whatever network namespace the calling process is in (helper.ts runs them
 * inside a node's namespace). Each resolves with a result, never rejects.
 */
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import type { ProbeHandler } from '../../../model/types.js';
import { grpcFrame, grpcHealthRequest, parseHealthResponse } from '../../../servers/workload/grpc-health.js';

export interface HealthCheckResult {
  ok: boolean;
  message: string;
}

export type NetHandler = Exclude<ProbeHandler, { kind: 'exec' }>;

export function runNetCheck(handler: NetHandler, host: string, timeoutMs: number): Promise<HealthCheckResult> {
  const h = ('host' in handler ? handler.host : undefined) ?? host;
  switch (handler.kind) {
    case 'httpGet':
      return httpCheck(handler, h, timeoutMs);
    case 'tcpSocket':
      return tcpCheck(h, handler.port, timeoutMs);
    case 'grpc':
      return grpcCheck(h, handler.port, handler.service ?? '', timeoutMs);
  }
}

/** kubelet: "Any code greater than or equal to 200 and less than 400 indicates success." */
function httpCheck(g: Extract<ProbeHandler, { kind: 'httpGet' }>, host: string, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/podnet', accept: '*/*' };
    for (const { name, value } of g.headers) headers[name.toLowerCase()] = value;
    const options = { host, port: g.port, path: g.path, method: 'GET', headers, timeout: timeoutMs, agent: false as const };
    // kubelet does not verify the certificate of an HTTPS probe.
    const req = g.scheme === 'HTTPS' ? https.request({ ...options, rejectUnauthorized: false }) : http.request(options);
    req.on('response', (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve({ ok: code >= 200 && code < 400, message: `HTTP ${code}` });
      req.destroy();
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, message: err.message }));
    req.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: `connected to ${host}:${port}` });
    });
    socket.once('timeout', () => socket.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    socket.once('error', (err) => resolve({ ok: false, message: err.message }));
  });
}

/** grpc.health.v1.Health/Check over h2c; success only for status SERVING. */
function grpcCheck(host: string, port: number, service: string, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: HealthCheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `timeout after ${timeoutMs} ms` }), timeoutMs);
    const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
    const session = http2.connect(`http://${authority}`);
    session.on('error', (err) => finish({ ok: false, message: err.message }));
    const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    req.on('response', (headers) => void (grpcStatus = headers['grpc-status'] as string | undefined ?? grpcStatus));
    req.on('trailers', (trailers) => void (grpcStatus = trailers['grpc-status'] as string | undefined));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (err) => finish({ ok: false, message: err.message }));
    req.on('end', () => {
      if (grpcStatus !== '0') return finish({ ok: false, message: `grpc-status ${grpcStatus ?? 'missing'}` });
      const status = parseHealthResponse(Buffer.concat(chunks));
      finish({ ok: status === 1, message: status === 1 ? 'SERVING' : `health status ${status ?? 'unreadable'}` });
    });
    req.end(grpcFrame(grpcHealthRequest(service)));
  });
}
