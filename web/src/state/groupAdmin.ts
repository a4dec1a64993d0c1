// What the owner and admins do to a group (kick, mute, admins, transfer, dissolve, join
// requests), and keeping the group views current when `notification` frames say it changed.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { JoinRequest, Notification } from '../api/types';
import { canManage } from '../logic/roles';
import { groups, loadGroups, loadMembers, members } from './groups';
import { rememberUsers } from './users';

/** Pending join requests of the approval groups whose member list I opened, by group id. */
export const joinRequests = signal<Readonly<Record<number, readonly JoinRequest[]>>>({});

const path = (id: number, user: number) => ({ params: { path: { id, user } } });

/** After a change to the members: their list and the group's card (member count, my role). */
async function refresh(groupId: number): Promise<void> {
  await loadGroups();
  if (groups.value.some((g) => g.group_id === groupId)) await loadMembers(groupId);
}

export async function kick(groupId: number, userId: number): Promise<void> {
  await call(api.DELETE('/groups/{id}/members/{user}', path(groupId, userId)));
  await refresh(groupId);
}

/** Mutes a member for one of logic/roles.ts's MUTE_CHOICES. */
export async function mute(groupId: number, userId: number, seconds: number): Promise<void> {
  await call(api.PUT('/groups/{id}/mutes/{user}', { ...path(groupId, userId), body: { duration_s: seconds } }));
  await loadMembers(groupId);
}

export async function unmute(groupId: number, userId: number): Promise<void> {
  await call(api.DELETE('/groups/{id}/mutes/{user}', path(groupId, userId)));
  await loadMembers(groupId);
}

export async function setAdmin(groupId: number, userId: number, admin: boolean): Promise<void> {
  if (admin) await call(api.PUT('/groups/{id}/admins/{user}', path(groupId, userId)));
  else await call(api.DELETE('/groups/{id}/admins/{user}', path(groupId, userId)));
  await loadMembers(groupId);
}

/** I become an admin; the new owner gets the owner's powers. */
export async function transfer(groupId: number, newOwnerId: number): Promise<void> {
  await call(api.POST('/groups/{id}/transfer', { params: { path: { id: groupId } }, body: { new_owner_id: newOwnerId } }));
  await refresh(groupId);
}

export async function dissolve(groupId: number): Promise<void> {
  await call(api.DELETE('/groups/{id}', { params: { path: { id: groupId } } }));
  await loadGroups();
}

export async function loadJoinRequests(groupId: number): Promise<void> {
  const page = await call(api.GET('/groups/{id}/join-requests', { params: { path: { id: groupId }, query: { limit: 100 } } }));
  const pending = (page.requests ?? []).filter((r) => r.status === 'pending');
  joinRequests.value = { ...joinRequests.value, [groupId]: pending };
  rememberUsers(pending.map((r) => r.user));
}

export async function answerJoinRequest(groupId: number, requestId: number, approve: boolean): Promise<void> {
  const params = { params: { path: { id: requestId } } };
  if (approve) await call(api.POST('/groups/join-requests/{id}/approve', params));
  else await call(api.POST('/groups/join-requests/{id}/reject', params));
  await Promise.all([loadJoinRequests(groupId), approve ? refresh(groupId) : Promise.resolve()]);
}

/**
 * A `group_*` notification: the group list again (a kicked member's or a dissolved group goes),
 * and the member list and join requests of that group where they are on screen. Nothing is
 * asked of a group I am no longer in (the server would refuse).
 */
export async function onGroupNotification(n: Notification): Promise<void> {
  await loadGroups();
  const id = n.group_id ?? 0;
  const group = groups.value.find((g) => g.group_id === id);
  if (!group) {
    const { [id]: _gone, ...rest } = joinRequests.value;
    joinRequests.value = rest;
    return;
  }
  const work: Promise<void>[] = [];
  if (members.value[id]) work.push(loadMembers(id));
  if (joinRequests.value[id] && canManage(group.my_role ?? 'none')) work.push(loadJoinRequests(id));
  await Promise.all(work);
}

export function resetGroupAdmin(): void {
  joinRequests.value = {};
}
