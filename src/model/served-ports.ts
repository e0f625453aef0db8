/**
 * The ports a built-in container serves: its declared containerPorts, the ports its own probes
 * name (argo-cd probes 9001 without declaring it), the port its PORT environment variable names,
 * and the Service targetPorts of Services
 * selecting the pod that no container of the pod declares (given to the pod's first built-in
 * container). A port an HTTPS probe names answers with TLS, as kubelet's HTTPS probes need (it
 * does not verify certificates). Pure.
 */
import { endpointPorts, hasSelector, selects } from './endpoints.js';
import type { Container, Pod, Protocol, Service } from './types.js';

export interface ServedPort {
  containerPort: number;
  protocol: Protocol;
  name?: string;
  /** Answer with TLS (an HTTPS probe names this port). */
  tls?: boolean;
}

function probePorts(c: Container): { port: number; tls: boolean }[] {
  return [c.readinessProbe, c.livenessProbe, c.startupProbe].flatMap((p) => {
    if (!p || p.handler.kind === 'exec') return [];
    // A probe with its own host does not reach this container.
    if ('host' in p.handler && p.handler.host) return [];
    return [{ port: p.handler.port, tls: p.handler.kind === 'httpGet' && p.handler.scheme === 'HTTPS' }];
  });
}

/** Per container name: what it serves. Containers for which `builtin` is false are left as declared. */
export function servedPorts(pod: Pod, services: readonly Service[], builtin: (c: Container) => boolean): Map<string, ServedPort[]> {
  const out = new Map<string, ServedPort[]>();
  const declared = new Set(pod.containers.flatMap((c) => c.ports.map((p) => `${p.protocol}/${p.containerPort}`)));
  const taken = new Set(declared);
  for (const c of pod.containers) {
    const ports: ServedPort[] = c.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, ...(p.name ? { name: p.name } : {}) }));
    if (builtin(c)) {
      // The port a PORT environment variable names (the convention images such as Cilium's
      // json-mock and Online Boutique's services listen by) is served too.
      const envPort = /^[0-9]+$/.test(c.env?.PORT ?? '') ? Number(c.env!.PORT) : undefined;
      const extra = [...probePorts(c), ...(envPort !== undefined && envPort >= 1 && envPort <= 65535 ? [{ port: envPort, tls: false }] : [])];
      for (const { port, tls } of extra) {
        const existing = ports.find((p) => p.protocol === 'TCP' && p.containerPort === port);
        if (existing) {
          if (tls) existing.tls = true;
        } else if (!taken.has(`TCP/${port}`)) {
          ports.push({ containerPort: port, protocol: 'TCP', ...(tls ? { tls } : {}) });
          taken.add(`TCP/${port}`);
        }
      }
    }
    out.set(c.name, ports);
  }
  const first = pod.containers.find(builtin);
  if (!first) return out;
  for (const s of services) {
    if (s.namespace !== pod.namespace || !hasSelector(s) || !selects(s, pod)) continue;
    for (const sp of endpointPorts(s, pod)) {
      const id = `${sp.protocol}/${sp.port}`;
      if (taken.has(id) || sp.protocol === 'SCTP') continue;
      taken.add(id);
      out.get(first.name)!.push({ containerPort: sp.port, protocol: sp.protocol });
    }
  }
  return out;
}
