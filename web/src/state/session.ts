// Who is signed in. The token lives in sessionStorage: it stays with this tab and this origin,
// survives a reload, and is never put in a URL (the WebSocket gets it as a subprotocol).
import { signal } from '@preact/signals';
import { api, call, configureAuth } from '../api/client';
import type { ProfilePatch, User } from '../api/types';
import { rememberUsers } from './users';

export type Session = { token: string; userId: number; user: User };

const STORAGE_KEY = 'chat.session';

function restore(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.token === 'string' && typeof s.userId === 'number' && s.user ? (s as Session) : null;
  } catch {
    return null;
  }
}

export const session = signal<Session | null>(restore());
/** Why the last session ended, shown on the sign-in screen (already translated). */
export const signedOutReason = signal<string | null>(null);

function save(s: Session | null): void {
  if (s) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(STORAGE_KEY);
  session.value = s;
}

/** Drops the session locally (no server call): after a kick, a 401, or a logout. */
export function endSession(reason: string | null): void {
  signedOutReason.value = reason;
  save(null);
}

let onUnauthorized: () => void = () => endSession(null);
/** The app supplies the translated "session ended" message. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

configureAuth(
  () => session.value?.token ?? null,
  () => {
    if (session.value) onUnauthorized();
  },
);

export async function register(username: string, password: string, nickname: string): Promise<void> {
  await call(api.POST('/auth/register', { body: { username, password, nickname: nickname || undefined } }));
}

export async function login(username: string, password: string): Promise<void> {
  const answer = await call(api.POST('/auth/login', { body: { username, password, device: 'web' } }));
  if (!answer.token || !answer.user) throw new Error('login answer without token');
  signedOutReason.value = null;
  save({ token: answer.token, userId: answer.user.user_id, user: answer.user });
}

export async function logout(): Promise<void> {
  try {
    await call(api.POST('/auth/logout'));
  } finally {
    // Signed out locally even when the server is unreachable: the token is forgotten here.
    endSession(null);
  }
}

export async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  await call(api.PUT('/me/password', { body: { old_password: oldPassword, new_password: newPassword } }));
}

function setUser(user: User): void {
  const s = session.value;
  if (s && s.userId === user.user_id) save({ ...s, user });
  rememberUsers([user]);
}

/** My profile as the server has it now (another tab or device may have changed it). */
export async function refreshMe(): Promise<User> {
  const user = await call(api.GET('/me'));
  setUser(user);
  return user;
}

/** Changes my display name and bio; friends see the change the next time they load their friend list. */
export async function updateProfile(patch: ProfilePatch): Promise<User> {
  const user = await call(api.PATCH('/me', { body: patch }));
  setUser(user);
  return user;
}

/** Makes one of my image uploads my picture, or removes it (null); my own views show it at once
 * (the users cache), friends when they next load their friend list. */
export async function setMyAvatar(fileId: number | null): Promise<User> {
  const user = fileId === null ? await call(api.DELETE('/me/avatar')) : await call(api.PUT('/me/avatar', { body: { file_id: fileId } }));
  setUser(user);
  return user;
}
