// Signed addresses for <img>, <audio> and download links (they cannot carry the bearer token):
// POST /files/{id}/url, kept per file until shortly before they expire, asked again after that
// or when the browser could not load one. A file I may no longer read (recalled, kicked) is 404.
import { signal } from '@preact/signals';
import { ApiFailure, api, call } from '../api/client';
import type { SignedFileUrls } from '../api/types';
import { stillFresh } from '../logic/media';

type Entry = { urls?: SignedFileUrls; gone?: boolean; asked_ms: number };

const cache = signal<Readonly<Record<number, Entry>>>({});
const asking = new Set<number>();

function ask(fileId: number): void {
  if (asking.has(fileId)) return;
  asking.add(fileId);
  call(api.POST('/files/{id}/url', { params: { path: { id: fileId } } }))
    .then(
      (urls): Entry => ({ urls, asked_ms: Date.now() }),
      (e: unknown): Entry => ({ gone: e instanceof ApiFailure && e.status === 404, asked_ms: Date.now() }),
    )
    .then((entry) => {
      asking.delete(fileId);
      cache.value = { ...cache.value, [fileId]: entry };
    });
}

/** The file's signed addresses (undefined while they are being asked; `gone` when refused). */
export function signedUrls(fileId: number): { urls?: SignedFileUrls; gone: boolean } {
  const entry = cache.value[fileId];
  const now = Date.now();
  // Asked when unknown, when about to expire, and again 5 s after a failure other than 404.
  if (!entry || (entry.urls ? !stillFresh(entry.urls, now) : !entry.gone && now - entry.asked_ms > 5_000)) ask(fileId);
  if (entry?.gone) return { gone: true };
  return { urls: entry?.urls && entry.urls.expires_at_ms > now ? entry.urls : undefined, gone: false };
}

/** The browser could not load an address: ask again (at most every 5 s per file). */
export function reloadUrls(fileId: number): void {
  const entry = cache.value[fileId];
  if (entry && Date.now() - entry.asked_ms < 5_000) return;
  ask(fileId);
}

/** Signing out: the addresses name this user, so the next one in this tab does not inherit them. */
export function forgetUrls(): void {
  cache.value = {};
}
