// Pictures, files and voice notes on their way up: each shows with a progress bar until the
// server stored it, then its send goes through the outbox like a text (same client_msg_id on
// a resend). A refused upload stays with its reason, for Retry or Cancel.
import { signal } from '@preact/signals';
import { ApiFailure } from '../api/client';
import type { FileKind } from '../api/types';
import { uploadFile } from '../api/upload';
import { uploadedContent, uploadName, uploadProblem, type UploadProblem } from '../logic/media';
import { sendContent } from './sends';

export type PendingUpload = {
  key: string;
  conversation_id: string;
  kind: FileKind;
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'failed';
  problem?: UploadProblem;
  duration_ms?: number;
};

export const uploads = signal<readonly PendingUpload[]>([]);

// The bytes and the abort of each upload, beside the signal (not state to render).
const bodies = new Map<string, { blob: Blob; abort?: () => void }>();

function update(key: string, change: Partial<PendingUpload>): void {
  uploads.value = uploads.value.map((u) => (u.key === key ? { ...u, ...change } : u));
}

function drop(key: string): void {
  bodies.delete(key);
  uploads.value = uploads.value.filter((u) => u.key !== key);
}

/** A picture's own size, so that my message reserves its box before the server says it. */
function pictureSize(blob: Blob): Promise<{ width: number; height: number } | undefined> {
  if (typeof createImageBitmap !== 'function') return Promise.resolve(undefined);
  return createImageBitmap(blob).then(
    (bitmap) => {
      const size = { width: bitmap.width, height: bitmap.height };
      bitmap.close();
      return size;
    },
    () => undefined,
  );
}

function run(key: string): void {
  const u = uploads.value.find((x) => x.key === key);
  const body = bodies.get(key);
  if (!u || !body) return;
  update(key, { state: 'uploading', sent: 0, problem: undefined });
  const upload = uploadFile({ kind: u.kind, name: u.name }, body.blob, (sent) => update(key, { sent }));
  body.abort = upload.abort;
  const size = u.kind === 'image' ? pictureSize(body.blob) : Promise.resolve(undefined);
  upload.done.then(
    async (info) => {
      const box = await size;
      if (!bodies.has(key)) return;
      drop(key);
      sendContent(u.conversation_id, uploadedContent(info, { durationMs: u.duration_ms, ...box }));
    },
    (e: unknown) => {
      if (!bodies.has(key)) return; // cancelled
      const f = e instanceof ApiFailure ? e : new ApiFailure(0, 'network', String(e));
      update(key, { state: 'failed', problem: uploadProblem(f.status, f.code) });
    },
  );
}

/** Uploads a picture, file or voice note for a conversation, then sends it there. */
export function attach(conversationId: string, blob: Blob, name: string, kind: FileKind, durationMs?: number): void {
  const key = crypto.randomUUID();
  bodies.set(key, { blob });
  uploads.value = [
    ...uploads.value,
    { key, conversation_id: conversationId, kind, name: uploadName(name, kind === 'voice' ? 'voice.webm' : 'file'), size: blob.size, sent: 0, state: 'uploading', duration_ms: durationMs },
  ];
  run(key);
}

export function retryUpload(key: string): void {
  run(key);
}

export function cancelUpload(key: string): void {
  const body = bodies.get(key);
  bodies.delete(key);
  body?.abort?.();
  drop(key);
}

/** Signing out: every upload stops and goes. */
export function cancelAllUploads(): void {
  for (const u of uploads.value) cancelUpload(u.key);
}
