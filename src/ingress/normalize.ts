/**
 * Request-target normalization before routing and forwarding (pure), as ingress-nginx's nginx
 * does: a path rule must see the path the endpoint will act on, so `/public/../admin` is
 * `/admin` (never a match for a `/public` Prefix rule) and `/%61dmin` is `/admin`.
 *
 * RFC 3986 §6.2.2.2: "URIs should be normalized by decoding any percent-encoded octet that
 * corresponds to an unreserved character"; §6.2.2.1: hexadecimal digits of percent-encodings are
 * upper-case; §5.2.4 remove_dot_segments. Reserved characters (e.g. %2F) stay encoded. Repeated
 * slashes are merged, as nginx's merge_slashes (on by default) does. The query is kept verbatim.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** The normalized origin-form target (path + query); an absolute-form target loses its scheme and authority. */
export function normalizeTarget(url: string | undefined): string {
  let u = url ?? '/';
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(u);
  if (abs) u = u.slice(abs[0].length) || '/';
  const hash = u.indexOf('#');
  if (hash >= 0) u = u.slice(0, hash);
  const q = u.indexOf('?');
  const path = q >= 0 ? u.slice(0, q) : u;
  const query = q >= 0 ? u.slice(q) : '';
  if (!path.startsWith('/')) return u; // "*" (OPTIONS) and the like
  return removeDotSegments(decodeUnreserved(path)).replace(/\/{2,}/g, '/') + query;
}

/** %XX of an unreserved character → the character; other %xx → %XX. */
export function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

/** RFC 3986 §5.2.4 for an absolute path: "." and ".." segments removed, never above the root. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (last) out.push(''); // "/a/.." is "/" and "/a/." is "/a/": a trailing slash stays
      return;
    }
    out.push(seg);
  });
  return `/${out.join('/')}`;
}
