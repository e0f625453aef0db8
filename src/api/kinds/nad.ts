/**
 * NetworkAttachmentDefinition (k8s.cni.cncf.io/v1, the NPWG multi-net spec's CRD): `spec.config`
 * is a CNI config or conflist as a JSON string; empty (or absent), the config is the file in the
 * CNI configuration directory whose network name is the NAD's name, as Multus reads it (looked up
 * by the lab, src/lab/attachments.ts, since analysis never needs it).
 */
import { parseNetworkConfig } from '../../cni/delegate.js';
import type { NetworkAttachmentDefinition, Source } from '../../model/types.js';
import { readObj, readString, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

export const NAD_API_VERSION = 'k8s.cni.cncf.io/v1';

export function readNetworkAttachmentDefinition(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): NetworkAttachmentDefinition {
  if (obj.apiVersion !== NAD_API_VERSION) p.error('apiVersion', `expected ${JSON.stringify(NAD_API_VERSION)}, found ${JSON.stringify(obj.apiVersion)}`);
  const spec = readObj(obj.spec, 'spec', p);
  const text = readString(spec?.config, 'spec.config', p)?.trim() ?? '';
  if (text === '') return { namespace, name, source };
  const net = parseNetworkConfig(text);
  if (typeof net === 'string') p.error('spec.config', net);
  return { namespace, name, config: text, source };
}
