// Pictures, files and voice notes: the pure parts (which kind an upload is, the content a send
// carries, sizes and durations in words, the box a picture reserves, signed addresses' freshness).
import type { Content, FileInfo, FileKind, SignedFileUrls } from '../api/types';

/** The picture types the server takes as kind=image; anything else goes as a file. */
export const IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export function uploadKindOf(mime: string): FileKind {
  return IMAGE_TYPES.includes(mime.toLowerCase()) ? 'image' : 'file';
}

/** The `name` query: no control characters, 1 to 255 characters. */
export function uploadName(name: string, fallback = 'file'): string {
  // eslint-disable-next-line no-control-regex
  const clean = Array.from(name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim());
  return clean.length === 0 ? fallback : clean.slice(-255).join('');
}

/**
 * What a send carries once its upload is stored: the file_id, and what this client knows of it
 * (name, size, type; a picture's width and height; a voice note's duration). The server replaces
 * all but the duration with what it stored; the local copy shows my own message until then
 * (the ack carries no content).
 */
export function uploadedContent(info: FileInfo, extra: { durationMs?: number; width?: number; height?: number } = {}): Content {
  const common = { file_id: info.file_id, size_bytes: info.size_bytes, mime: info.mime };
  if (info.kind === 'image') return { type: 'image', ...common, ...(extra.width && extra.height ? { width: extra.width, height: extra.height } : {}) };
  if (info.kind === 'voice') return { type: 'voice', ...common, duration_ms: Math.min(Math.max(0, Math.round(extra.durationMs ?? 0)), 3_600_000) };
  return { type: 'file', ...common, name: info.name };
}

export type UploadProblem = 'uploadTooLarge' | 'uploadWrongType' | 'uploadTooFast' | 'uploadQuota' | 'uploadNetwork' | 'uploadFailed';

/** A refused upload in plain words (the dictionary key). */
export function uploadProblem(status: number, code: string): UploadProblem {
  if (code === 'file_too_large' || status === 413) return 'uploadTooLarge';
  if (code === 'unsupported_type' || code === 'invalid_image' || status === 415) return 'uploadWrongType';
  // Both are 429: too many uploads in a short time, or too many bytes kept in all.
  if (code === 'rate_limited') return 'uploadTooFast';
  if (code === 'quota_exceeded' || status === 429) return 'uploadQuota';
  if (code === 'network' || status === 0 || status === 502 || status === 503) return 'uploadNetwork';
  return 'uploadFailed';
}

/** "512 B", "12 KB", "3.4 MB" (1024-based, as file managers show them). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "0:07", "12:34" (minutes:seconds, rounded down). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The size a picture is shown at (within max x max, never enlarged), known before it loads. */
export function fitBox(width: number | undefined, height: number | undefined, max = 240): { width: number; height: number } {
  if (!width || !height) return { width: max, height: Math.round((max * 3) / 4) };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Signed addresses are used until shortly before they expire (then asked again). */
export function stillFresh(urls: SignedFileUrls, now: number, marginMs = 30_000): boolean {
  return urls.expires_at_ms - marginMs > now;
}
