// Changing my picture or a group's: the image goes up with POST /files?kind=image (api/upload.ts,
// with progress, as pictures in messages do), then PUT .../avatar makes it the picture. One
// change at a time per target; a refusal stays with its reason until the next try.
import { signal } from '@preact/signals';
import { ApiFailure } from '../api/client';
import { uploadFile } from '../api/upload';
import { avatarProblem, isAvatarType, type AvatarProblem } from '../logic/avatars';
import { uploadName } from '../logic/media';
import { setGroupAvatar } from './groups';
import { setMyAvatar } from './session';

/** Whose picture: mine, or a group's (its owner's and admins' to change). */
export type AvatarTarget = { kind: 'me' } | { kind: 'group'; id: number };

export type AvatarChange =
  | { state: 'uploading'; sent: number; size: number }
  | { state: 'saving' }
  | { state: 'done'; removed: boolean }
  | { state: 'failed'; problem: AvatarProblem };

const keyOf = (target: AvatarTarget): string => (target.kind === 'me' ? 'me' : `g${target.id}`);

/** The change under way or last finished, per target. */
export const avatarChanges = signal<Readonly<Record<string, AvatarChange>>>({});
// The latest change per target, and how to stop its upload: an older one's answer is ignored.
const running = new Map<string, { abort?: () => void }>();

export function avatarChange(target: AvatarTarget): AvatarChange | undefined {
  return avatarChanges.value[keyOf(target)];
}

function set(key: string, change: AvatarChange | undefined): void {
  const next = { ...avatarChanges.value };
  if (change) next[key] = change;
  else delete next[key];
  avatarChanges.value = next;
}

function save(target: AvatarTarget, fileId: number | null): Promise<unknown> {
  return target.kind === 'me' ? setMyAvatar(fileId) : setGroupAvatar(target.id, fileId);
}

/** Starts a change (a new one replaces the one under way); `work` reports progress while current. */
async function change(target: AvatarTarget, removed: boolean, work: (current: () => boolean, mine: { abort?: () => void }) => Promise<number | null>): Promise<void> {
  const key = keyOf(target);
  running.get(key)?.abort?.();
  const mine: { abort?: () => void } = {};
  running.set(key, mine);
  const current = () => running.get(key) === mine;
  try {
    const fileId = await work(current, mine);
    if (!current()) return;
    set(key, { state: 'saving' });
    await save(target, fileId);
    if (current()) set(key, { state: 'done', removed });
  } catch (e) {
    if (!current()) return;
    const f = e instanceof ApiFailure ? e : new ApiFailure(0, 'network', String(e));
    set(key, { state: 'failed', problem: avatarProblem(f.status, f.code) });
  } finally {
    if (current()) running.delete(key);
  }
}

/** Uploads a picture (PNG, JPEG, GIF or WebP) and makes it the target's picture. */
export function changeAvatar(target: AvatarTarget, file: Blob & { name?: string }): Promise<void> {
  return change(target, false, async (current, mine) => {
    if (!isAvatarType(file.type)) throw new ApiFailure(415, 'unsupported_type', file.type);
    set(keyOf(target), { state: 'uploading', sent: 0, size: file.size });
    const upload = uploadFile({ kind: 'image', name: uploadName(file.name ?? '', 'avatar') }, file, (sent) => {
      if (current()) set(keyOf(target), { state: 'uploading', sent, size: file.size });
    });
    mine.abort = upload.abort;
    return (await upload.done).file_id;
  });
}

/** Back to the letter. */
export function removeAvatar(target: AvatarTarget): Promise<void> {
  return change(target, true, async () => null);
}

/** Signing out: uploads on their way stop, and what was said goes. */
export function resetAvatarChanges(): void {
  for (const r of running.values()) r.abort?.();
  running.clear();
  avatarChanges.value = {};
}

/** The picker closes: a finished change's words go (one under way keeps going). */
export function forgetFinishedAvatarChange(target: AvatarTarget): void {
  const state = avatarChange(target)?.state;
  if (state === 'done' || state === 'failed') set(keyOf(target), undefined);
}
