import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../src/api/client';
import type { FileInfo } from '../src/api/types';
import { AVATAR_ACCEPT, avatarFileOf, avatarProblem, isAvatarType } from '../src/logic/avatars';

// The change of a picture without a server: the upload and the PUT are stand-ins.
type Pending = { resolve: (info: FileInfo) => void; reject: (e: unknown) => void; progress: (sent: number) => void; aborted: boolean };
const uploads: Pending[] = [];
vi.mock('../src/api/upload', () => ({
  uploadFile: (_query: unknown, _body: Blob, progress: (sent: number) => void) => {
    const pending = { progress, aborted: false } as Pending;
    const done = new Promise<FileInfo>((resolve, reject) => Object.assign(pending, { resolve, reject }));
    uploads.push(pending);
    return { done, abort: () => (pending.aborted = true) };
  },
}));
const saved: { target: string; fileId: number | null }[] = [];
let refuseSave: ApiFailure | null = null;
const save = (target: string) => async (a: number | null, b?: number | null) => {
  const fileId = target === 'me' ? a : (b ?? null);
  if (refuseSave) throw refuseSave;
  saved.push({ target: target === 'me' ? 'me' : `g${a}`, fileId });
};
vi.mock('../src/state/session', () => ({ setMyAvatar: save('me') }));
vi.mock('../src/state/groups', () => ({ setGroupAvatar: save('group') }));

const { avatarChange, changeAvatar, forgetFinishedAvatarChange, removeAvatar, resetAvatarChanges } = await import('../src/state/avatars');

const stored = (file_id: number): FileInfo => ({ file_id, kind: 'image', mime: 'image/png', size_bytes: 100, sha256: '0'.repeat(64), name: 'a.png' });
const png = (size = 100) => new Blob([new Uint8Array(size)], { type: 'image/png' });
const tick = () => new Promise((r) => setTimeout(r, 0));
const ME = { kind: 'me' } as const;

describe('avatars: the pure parts', () => {
  it('accepts the picture types the server decodes', () => {
    expect(AVATAR_ACCEPT).toBe('image/png,image/jpeg,image/gif,image/webp');
    expect(isAvatarType('image/webp')).toBe(true);
    expect(isAvatarType('IMAGE/JPEG')).toBe(true);
    expect(isAvatarType('image/svg+xml')).toBe(false);
    expect(isAvatarType('text/plain')).toBe(false);
    expect(isAvatarType('')).toBe(false);
  });
  it('reads the picture’s file, 0 for none or an old external address', () => {
    expect(avatarFileOf({ avatar_file_id: 42 })).toBe(42);
    expect(avatarFileOf({ avatar_file_id: 0 })).toBe(0);
    expect(avatarFileOf({})).toBe(0);
    expect(avatarFileOf(undefined)).toBe(0);
    expect(avatarFileOf({ avatar_file_id: -1 })).toBe(0);
    expect(avatarFileOf({ avatar_file_id: 1.5 })).toBe(0);
  });
  it('says why a picture was refused', () => {
    expect(avatarProblem(415, 'invalid_image')).toBe('avatarNotPicture');
    expect(avatarProblem(415, 'unsupported_type')).toBe('avatarNotPicture');
    expect(avatarProblem(400, 'wrong_file_kind')).toBe('avatarNotPicture');
    expect(avatarProblem(400, 'unknown_file')).toBe('avatarGone');
    expect(avatarProblem(403, 'forbidden')).toBe('avatarForbidden');
    expect(avatarProblem(413, 'file_too_large')).toBe('uploadTooLarge');
    expect(avatarProblem(429, 'quota_exceeded')).toBe('uploadQuota');
    expect(avatarProblem(0, 'network')).toBe('uploadNetwork');
    expect(avatarProblem(500, 'internal')).toBe('uploadFailed');
  });
});

describe('avatars: a change', () => {
  beforeEach(() => {
    resetAvatarChanges();
    uploads.length = 0;
    saved.length = 0;
    refuseSave = null;
  });

  it('uploads with progress, then makes the file the picture', async () => {
    const done = changeAvatar(ME, png(100));
    expect(avatarChange(ME)).toEqual({ state: 'uploading', sent: 0, size: 100 });
    uploads[0]?.progress(40);
    expect(avatarChange(ME)).toEqual({ state: 'uploading', sent: 40, size: 100 });
    uploads[0]?.resolve(stored(7));
    await done;
    expect(saved).toEqual([{ target: 'me', fileId: 7 }]);
    expect(avatarChange(ME)).toEqual({ state: 'done', removed: false });
    forgetFinishedAvatarChange(ME);
    expect(avatarChange(ME)).toBeUndefined();
  });

  it('refuses what is not a picture before uploading it', async () => {
    await changeAvatar(ME, new Blob(['hello'], { type: 'text/plain' }));
    expect(uploads).toHaveLength(0);
    expect(avatarChange(ME)).toEqual({ state: 'failed', problem: 'avatarNotPicture' });
  });

  it('says the server’s refusal of the upload or of the picture', async () => {
    const undecodable = changeAvatar(ME, png());
    uploads[0]?.reject(new ApiFailure(415, 'invalid_image', 'not an image'));
    await undecodable;
    expect(avatarChange(ME)).toEqual({ state: 'failed', problem: 'avatarNotPicture' });
    refuseSave = new ApiFailure(403, 'forbidden', 'owner or admin only');
    const group = { kind: 'group', id: 5 } as const;
    const refused = changeAvatar(group, png());
    uploads[1]?.resolve(stored(8));
    await refused;
    expect(avatarChange(group)).toEqual({ state: 'failed', problem: 'avatarForbidden' });
    expect(avatarChange(ME)).toEqual({ state: 'failed', problem: 'avatarNotPicture' });
  });

  it('lets a second choice replace one still uploading (the first is aborted and ignored)', async () => {
    const first = changeAvatar(ME, png());
    const second = changeAvatar(ME, png(200));
    expect(uploads[0]?.aborted).toBe(true);
    uploads[0]?.reject(new ApiFailure(0, 'aborted', 'cancelled'));
    await first;
    expect(avatarChange(ME)).toEqual({ state: 'uploading', sent: 0, size: 200 });
    uploads[1]?.resolve(stored(9));
    await second;
    expect(saved).toEqual([{ target: 'me', fileId: 9 }]);
  });

  it('removes a group’s picture', async () => {
    const group = { kind: 'group', id: 3 } as const;
    await removeAvatar(group);
    expect(uploads).toHaveLength(0);
    expect(saved).toEqual([{ target: 'g3', fileId: null }]);
    expect(avatarChange(group)).toEqual({ state: 'done', removed: true });
  });

  it('forgets everything on sign-out, aborting an upload on its way', async () => {
    void changeAvatar(ME, png());
    resetAvatarChanges();
    expect(uploads[0]?.aborted).toBe(true);
    uploads[0]?.resolve(stored(10));
    await tick();
    expect(saved).toEqual([]);
    expect(avatarChange(ME)).toBeUndefined();
  });
});
