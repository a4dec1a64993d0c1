// My groups, their members, and what any member does: create, invite, join, leave.
// What the owner and admins do is in groupAdmin.ts.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { Group, GroupMember, GroupPatch } from '../api/types';
import { avatarFileOf } from '../logic/avatars';
import { rememberUsers } from './users';

export type JoinMode = NonNullable<Group['join_mode']>;
export const JOIN_MODES: readonly JoinMode[] = ['open', 'approval', 'invite_only', 'password'];

export const groups = signal<readonly Group[]>([]);
/** Whether `groups` came from the server yet: before that, a group missing from it means nothing. */
export const groupsLoaded = signal(false);
/** Members of the groups whose member list was opened, by group id. */
export const members = signal<Readonly<Record<number, readonly GroupMember[]>>>({});

export async function loadGroups(): Promise<void> {
  const all: Group[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(api.GET('/groups', { params: { query: { cursor, limit: 200 } } }));
    all.push(...(page.groups ?? []));
    cursor = page.next_cursor || undefined;
  } while (cursor);
  groups.value = all;
  groupsLoaded.value = true;
  // Member lists of groups I am no longer in (kicked, left, dissolved) go with them.
  const kept = Object.entries(members.value).filter(([id]) => all.some((g) => g.group_id === Number(id)));
  if (kept.length !== Object.keys(members.value).length) members.value = Object.fromEntries(kept);
}

export function resetGroups(): void {
  groups.value = [];
  groupsLoaded.value = false;
  members.value = {};
}

/** Whether I am (as far as the loaded list says) a member of the group. */
export function inGroup(groupId: number): boolean {
  return !groupsLoaded.value || groups.value.some((g) => g.group_id === groupId);
}

export function groupName(groupId: number): string | null {
  return groups.value.find((g) => g.group_id === groupId)?.name ?? null;
}

/** The file of a group's picture as the group list last said (members hear `group_updated`). */
export function groupAvatar(groupId: number): number {
  return avatarFileOf(groups.value.find((g) => g.group_id === groupId));
}

export type NewGroup = { name: string; join_mode: JoinMode; password?: string; member_ids: number[] };

export async function createGroup(g: NewGroup): Promise<Group | undefined> {
  const answer = await call(
    api.POST('/groups', {
      body: { name: g.name, join_mode: g.join_mode, password: g.join_mode === 'password' ? g.password : undefined, member_ids: g.member_ids },
    }),
  );
  await loadGroups();
  return answer.group;
}

/** Name, description, join mode (and its password) by the owner or an admin; the members hear `group_updated`. */
export async function updateGroup(groupId: number, patch: GroupPatch): Promise<void> {
  await call(api.PATCH('/groups/{id}', { params: { path: { id: groupId } }, body: patch }));
  await loadGroups();
}

/** Makes one of my image uploads the group's picture, or removes it (null); owner or admin. */
export async function setGroupAvatar(groupId: number, fileId: number | null): Promise<void> {
  const params = { params: { path: { id: groupId } } };
  if (fileId === null) await call(api.DELETE('/groups/{id}/avatar', params));
  else await call(api.PUT('/groups/{id}/avatar', { ...params, body: { file_id: fileId } }));
  await loadGroups();
}

export async function loadMembers(groupId: number): Promise<void> {
  const all: GroupMember[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(api.GET('/groups/{id}/members', { params: { path: { id: groupId }, query: { cursor, limit: 200 } } }));
    all.push(...(page.members ?? []));
    cursor = page.next_cursor || undefined;
  } while (cursor);
  members.value = { ...members.value, [groupId]: all };
  rememberUsers(all.map((m) => m.user));
}

export async function invite(groupId: number, userIds: number[]): Promise<void> {
  await call(api.POST('/groups/{id}/invitations', { params: { path: { id: groupId } }, body: { user_ids: userIds } }));
  await Promise.all([loadMembers(groupId), loadGroups()]);
}

/** Joins by id; an approval group answers `pending_approval` until an admin approves. */
export async function join(groupId: number, password: string): Promise<'joined' | 'pending_approval'> {
  const answer = await call(api.POST('/groups/{id}/join', { params: { path: { id: groupId } }, body: { password: password || undefined } }));
  await loadGroups();
  return answer.outcome ?? 'joined';
}

export async function leave(groupId: number): Promise<void> {
  await call(api.POST('/groups/{id}/leave', { params: { path: { id: groupId } } }));
  await loadGroups();
}
