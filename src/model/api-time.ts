/**
 * Times as the Kubernetes API writes them (pure): metav1.Time is RFC 3339 in whole seconds, UTC
 * ("our JSON only handled seconds", time_proto.go) — `2026-12-07T21:30:05Z`, never milliseconds.
 */

/** An instant (epoch milliseconds or any ISO time) as metav1.Time; null when it is no time at all. */
export function apiTime(t: number | string = Date.now()): string | null {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * A graceful deletion's metadata.deletionTimestamp: "RFC 3339 date and time at which this resource
 * will be deleted" — when it was asked plus the grace period (the registry sets now + grace).
 */
export function deletionDue(askedAt: number | string, graceSeconds: number): string | null {
  const ms = typeof askedAt === 'number' ? askedAt : Date.parse(askedAt);
  return apiTime(ms + graceSeconds * 1000);
}
