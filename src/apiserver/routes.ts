/**
 * Request paths of the Kubernetes REST API (pure): /api/v1/..., /apis/G/V/..., with an optional
 * namespace, a name and a subresource.
 */
import { findResource, type ResourceInfo } from './resources.js';

export interface ResourceRequest { ri: ResourceInfo; namespace?: string; name?: string; subresource?: string }

/** The resource a path names; null when it names none (discovery and the rest are routed apart). */
export function parseResourcePath(path: string): ResourceRequest | { unknown: string } | null {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) [group, version, rest] = ['', seg[1], seg.slice(2)];
  else if (seg[0] === 'apis' && seg.length >= 4) [group, version, rest] = [seg[1], seg[2], seg.slice(3)];
  else return null;
  let namespace: string | undefined;
  // namespaces/NS/RESOURCE/...; namespaces/NAME and namespaces/NAME/status are the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const ri = findResource(group, version, rest[0]);
  if (!ri) return { unknown: `${group ? `${group}/` : ''}${version}/${rest[0]}` };
  if (rest.length > 3) return { unknown: path };
  return { ri, ...(namespace !== undefined ? { namespace } : {}), ...(rest[1] !== undefined ? { name: rest[1] } : {}), ...(rest[2] !== undefined ? { subresource: rest[2] } : {}) };
}
