/**
 * The three PATCH types of the Kubernetes API, applied to an object. Pure: the server reads the body,
 * asks `patchTypeOf` (415 when it answers undefined), and stores what `applyPatch` returns.
 * - `json`: RFC 6902 JSON Patch (patch-json.ts);
 * - `merge`: RFC 7386 JSON Merge Patch (below);
 * - `strategic`: Kubernetes strategic merge patch (patch-strategic.ts), for the built-in kinds of
 *   patch-meta.ts only.
 * Server-side apply (`application/apply-patch+yaml`, `+cbor`) is recognised but not applied here.
 */
import { clone, isObject, jsonPatch, PatchError, put } from './patch-json.js';
import { KINDS } from './patch-meta.js';
import { strategicPatch } from './patch-strategic.js';

export { PatchError } from './patch-json.js';

export type PatchType = 'json' | 'merge' | 'strategic';

const CONTENT_TYPES: Record<string, PatchType | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** The patch type of a request's Content-Type; parameters after `;` (charset) do not matter. */
export function patchTypeOf(contentType: string | undefined): PatchType | 'apply' | undefined {
  if (contentType === undefined) return undefined;
  const media = contentType.split(';')[0].trim().toLowerCase();
  return Object.hasOwn(CONTENT_TYPES, media) ? CONTENT_TYPES[media] : undefined;
}

/**
 * RFC 7386 section 2: a patch that is an object merges into the target member by member (a null
 * member removes the target's member, an object member merges recursively, anything else replaces
 * it); a patch that is not an object replaces the target. Lists are never merged.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else put(out, k, mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/** The key of a kind in patch-meta.ts's KINDS: 'v1/Pod', 'apps/v1/Deployment'. */
export const kindKey = (gvk: { apiVersion: string; kind: string }): string => `${gvk.apiVersion}/${gvk.kind}`;

/** `current` patched; a new value that shares nothing with `current` or `patch`, neither mutated. */
export function applyPatch(type: PatchType, current: unknown, patch: unknown, gvk: { apiVersion: string; kind: string }): unknown {
  switch (type) {
    case 'json':
      return jsonPatch(current, patch);
    case 'merge':
      return mergePatch(clone(current), patch);
    case 'strategic': {
      const key = kindKey(gvk);
      const def = Object.hasOwn(KINDS, key) ? KINDS[key] : undefined;
      // kube-apiserver serves custom resources without this content type (415 Unsupported Media Type):
      // it has no struct tags, so no merge keys, for them.
      if (def === undefined) throw new PatchError(`strategic merge patch is not supported for ${gvk.kind} (${gvk.apiVersion})`, 415);
      return strategicPatch(clone(current), patch, def);
    }
  }
}
