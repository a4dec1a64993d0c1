// At most one call per key every `everyMs` (typing frames: one per conversation every 3 s).
export function keyedThrottle(everyMs: number, now: () => number = Date.now) {
  const last = new Map<string, number>();
  return {
    /** True when a call for `key` may go now; the caller reports it sent with `mark`. */
    due: (key: string): boolean => now() - (last.get(key) ?? -Infinity) >= everyMs,
    mark: (key: string): void => void last.set(key, now()),
    reset: (): void => last.clear(),
  };
}
