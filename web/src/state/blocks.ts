// Users I blocked (GET /blocks): no friend requests either way, and no 1:1 messages.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { User } from '../api/types';
import { loadFriends, loadRequests, refreshSearch, setRelation } from './social';
import { rememberUsers } from './users';

export const blocked = signal<readonly User[]>([]);

export async function loadBlocks(): Promise<void> {
  const all: User[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(api.GET('/blocks', { params: { query: { cursor, limit: 200 } } }));
    all.push(...(page.users ?? []));
    cursor = page.next_cursor || undefined;
  } while (cursor);
  blocked.value = all;
  rememberUsers(all);
}

export async function block(userId: number): Promise<void> {
  await call(api.PUT('/blocks/{id}', { params: { path: { id: userId } } }));
  setRelation(userId, 'blocked');
  // Pending requests between us end with the block; the friend list is the server's to say.
  await Promise.all([loadBlocks(), loadFriends(), loadRequests()]);
}

export async function unblock(userId: number): Promise<void> {
  await call(api.DELETE('/blocks/{id}', { params: { path: { id: userId } } }));
  blocked.value = blocked.value.filter((u) => u.user_id !== userId);
  // A friendship outlives a block: what we are now is the server's to say.
  await refreshSearch();
}
