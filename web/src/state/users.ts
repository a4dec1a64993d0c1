// Names and avatars of users the UI mentions (peers, senders), fetched in batches by id.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { User } from '../api/types';
import { avatarFileOf } from '../logic/avatars';

export const users = signal<Readonly<Record<number, User>>>({});
/** My remarks for my friends (set by the friend list): shown instead of their nicknames. */
export const remarks = signal<Readonly<Record<number, string>>>({});

const wanted = new Set<number>();
let scheduled = false;

export function rememberUsers(list: readonly (User | undefined)[]): void {
  const next = { ...users.value };
  let changed = false;
  for (const u of list) {
    if (!u) continue;
    // Every User the API sends is whole: one without a picture has none now (0), whatever was known.
    next[u.user_id] = { ...next[u.user_id], ...u, avatar_file_id: avatarFileOf(u) };
    changed = true;
  }
  if (changed) users.value = next;
}

/** Asks for the users not known yet; calls in one tick share one GET /users. */
export function ensureUsers(ids: readonly number[]): void {
  for (const id of ids) if (id > 0 && !users.value[id]) wanted.add(id);
  if (scheduled || wanted.size === 0) return;
  scheduled = true;
  queueMicrotask(async () => {
    const ids = [...wanted].slice(0, 200);
    ids.forEach((id) => wanted.delete(id));
    scheduled = false;
    try {
      const answer = await call(api.GET('/users', { params: { query: { ids: ids.join(',') } } }));
      rememberUsers(answer.users ?? []);
    } catch {
      // Names are cosmetic; the next mention asks again.
    }
    if (wanted.size > 0) ensureUsers([]);
  });
}

export function displayName(id: number): string {
  const remark = remarks.value[id];
  if (remark) return remark;
  const u = users.value[id];
  return u ? u.nickname || u.username : `#${id}`;
}

/** The file of a user's picture as last heard (0: none, or not known yet: the letter shows). */
export function userAvatar(id: number): number {
  return avatarFileOf(users.value[id]);
}
