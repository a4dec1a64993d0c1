// Reconnect delays: exponential, capped, with jitter so that a gateway restart does not get
// every client back in the same millisecond.

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 5000;

/**
 * Delay before reconnect attempt `attempt` (0 = the first retry): a random point in the upper
 * half of min(max, base * 2^attempt) ("equal jitter"), so it is never near zero after failures.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = BACKOFF_BASE_MS,
  maxMs = BACKOFF_MAX_MS,
): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(cap / 2 + random() * (cap / 2));
}
