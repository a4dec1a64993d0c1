// Friends, friend requests, user search and presence.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { Friend, FriendRequest, Relation, User } from '../api/types';
import type { PresenceFrame } from '../ws/frames';
import { remarks, rememberUsers } from './users';

export type SearchHit = { user: User; relation: Relation };

export const friends = signal<readonly Friend[]>([]);
export const incoming = signal<readonly FriendRequest[]>([]);
export const outgoing = signal<readonly FriendRequest[]>([]);
export const searchHits = signal<readonly SearchHit[] | null>(null);

export async function loadFriends(): Promise<void> {
  const all: Friend[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(api.GET('/friends', { params: { query: { cursor, limit: 100 } } }));
    all.push(...(page.friends ?? []));
    cursor = page.next_cursor || undefined;
  } while (cursor);
  setFriends(all);
  rememberUsers(all.map((f) => f.user));
}

function setFriends(list: readonly Friend[]): void {
  friends.value = list;
  remarks.value = Object.fromEntries(list.filter((f) => f.user && f.remark).map((f) => [f.user?.user_id, f.remark]));
}

/** An empty remark goes back to the friend's own nickname. */
export async function setRemark(userId: number, remark: string): Promise<void> {
  const answer = await call(api.PUT('/friends/{id}/remark', { params: { path: { id: userId } }, body: { remark: remark.trim() } }));
  const updated = answer.friend;
  setFriends(friends.value.map((f) => (f.user?.user_id === userId ? { ...f, ...updated, remark: updated?.remark ?? remark.trim() } : f)));
}

/** Ends the friendship on both sides. */
export async function removeFriend(userId: number): Promise<void> {
  await call(api.DELETE('/friends/{id}', { params: { path: { id: userId } } }));
  setFriends(friends.value.filter((f) => f.user?.user_id !== userId));
}

const pending = (list: readonly FriendRequest[] | undefined) => (list ?? []).filter((r) => r.status === 'pending');

export async function loadRequests(): Promise<void> {
  const [inbox, sent] = await Promise.all([
    call(api.GET('/friends/requests', { params: { query: { direction: 'incoming', limit: 100 } } })),
    call(api.GET('/friends/requests', { params: { query: { direction: 'outgoing', limit: 100 } } })),
  ]);
  incoming.value = pending(inbox.requests);
  outgoing.value = pending(sent.requests);
  rememberUsers([...incoming.value.map((r) => r.from), ...outgoing.value.map((r) => r.to)]);
}

let lastQuery = '';

export async function searchUsers(q: string): Promise<void> {
  const query = q.trim();
  lastQuery = query;
  if (!query) {
    searchHits.value = null;
    return;
  }
  const answer = await call(api.GET('/users/search', { params: { query: { q: query, limit: 20 } } }));
  const hits = (answer.hits ?? []).filter((h): h is SearchHit => !!h.user && !!h.relation);
  searchHits.value = hits;
  rememberUsers(hits.map((h) => h.user));
}

/** The search again, for relations the client cannot work out (what an unblock leaves). */
export async function refreshSearch(): Promise<void> {
  if (searchHits.value && lastQuery) await searchUsers(lastQuery);
}

/** A search hit's relation after an action on it (request sent, blocked, unblocked). */
export function setRelation(userId: number, relation: Relation): void {
  const hits = searchHits.value;
  if (hits) searchHits.value = hits.map((h) => (h.user.user_id === userId ? { ...h, relation } : h));
}

export async function sendFriendRequest(userId: number): Promise<void> {
  await call(api.POST('/friends/requests', { body: { to_user_id: userId } }));
  setRelation(userId, 'request_sent');
  await loadRequests();
}

export type RequestAction = 'accept' | 'reject' | 'cancel';

export async function answerRequest(requestId: number, action: RequestAction): Promise<void> {
  const params = { params: { path: { id: requestId } } };
  if (action === 'accept') await call(api.POST('/friends/requests/{id}/accept', params));
  else if (action === 'reject') await call(api.POST('/friends/requests/{id}/reject', params));
  else await call(api.POST('/friends/requests/{id}/cancel', params));
  await Promise.all([loadRequests(), action === 'accept' ? loadFriends() : Promise.resolve()]);
}

/** A friend came online or went offline (docs/protocol.md, `presence`). */
export function applyPresence(frame: PresenceFrame): void {
  friends.value = friends.value.map((f) =>
    f.user?.user_id === frame.user_id ? { ...f, user: { ...f.user, online: frame.online, last_seen_ms: frame.last_seen_ms } } : f,
  );
}
