// Wires the connection to the stores: it starts with a session and ends with it, and routes
// every server frame to the store that owns it.
import { effect, signal, untracked } from '@preact/signals';
import { api, call } from '../api/client';
import { t } from '../i18n';
import { totalUnread } from '../logic/conversations';
import { Connection, socketUrl, type ConnectionState } from '../ws/connection';
import type { ServerFrame } from '../ws/frames';
import * as chat from './chat';
import { resetAvatarChanges } from './avatars';
import { blocked } from './blocks';
import { onGroupNotification, resetGroupAdmin } from './groupAdmin';
import { loadGroups, resetGroups } from './groups';
import { loadNotifications, onNotification, resetNotifications } from './notifications';
import { endSession, refreshMe, session, setUnauthorizedHandler } from './session';
import { applyPresence, friends, incoming, loadFriends, loadRequests, outgoing, searchHits } from './social';
import { onTyping, resetTyping, stopTyping } from './typing';
import { rememberUsers, remarks, users } from './users';

export const connection = signal<ConnectionState>('stopped');
/** A short-lived error line for the user (already translated). */
export const notice = signal<string | null>(null);

export function report(e: unknown): void {
  notice.value = t('errorGeneric', { message: e instanceof Error ? e.message : String(e) });
}

function dispatch(frame: ServerFrame): void {
  switch (frame.type) {
    case 'message':
      // Their message is what they were typing.
      stopTyping(frame.message.conversation_id, frame.message.sender_id);
      return chat.onMessage(frame.message);
    case 'ack':
      return chat.onAck(frame);
    case 'error':
      return chat.onSendError(frame);
    case 'read_ack':
      return chat.onReadAck(frame);
    case 'read_receipt':
      return chat.onReadReceipt(frame);
    case 'recall':
      return chat.onRecall(frame);
    case 'presence':
      return applyPresence(frame);
    case 'typing':
      return onTyping(frame);
    case 'notification': {
      onNotification(frame.notification);
      const kind = frame.notification.kind ?? '';
      if (kind === 'friend_request_received') void loadRequests().catch(report);
      if (kind === 'friend_request_accepted' || kind === 'friend_added') {
        void Promise.all([loadRequests(), loadFriends()]).catch(report);
      }
      if (kind === 'friend_request_rejected') void loadRequests().catch(report);
      if (kind.startsWith('group_')) void onGroupNotification(frame.notification).catch(report);
      return;
    }
    default:
      // hello is handled by the connection; pong, moved and kicked need nothing here
      // (moved and kicked are followed by their close codes).
      return;
  }
}

async function afterHello(): Promise<void> {
  // My profile too: another tab or device may have changed it while this one was away.
  await Promise.all([chat.resync(), loadFriends(), loadRequests(), loadGroups(), loadNotifications(), refreshMe()]);
}

let current: Connection | null = null;
let forgetOutbox: (() => void) | null = null;

function start(userId: number, token: string): void {
  // Sends left unacked by a reload of this tab go out again after the first hello.
  forgetOutbox = chat.keepOutbox(userId);
  const conn = new Connection(socketUrl(location, userId), token, {
    onState: (s) => (connection.value = s),
    onHello: () => void afterHello().catch(report),
    onFrame: dispatch,
    onKicked: (reason) => endSession(t('kicked', { reason })),
    // Refused before hello: a dead token answers 401 here too, and the client signs out.
    onRefused: () => void call(api.GET('/me')).catch(() => {}),
  });
  chat.setTransmit((frame) => conn.send(frame));
  current = conn;
  conn.start();
}

function stop(): void {
  current?.stop();
  current = null;
  chat.setTransmit(() => false);
  // Signed out: this tab's unsent messages go with the session (the effect empties the storage).
  chat.resetChat();
  forgetOutbox?.();
  forgetOutbox = null;
  friends.value = [];
  incoming.value = [];
  outgoing.value = [];
  searchHits.value = null;
  users.value = {};
  remarks.value = {};
  blocked.value = [];
  resetGroups();
  resetGroupAdmin();
  resetTyping();
  resetNotifications();
  resetAvatarChanges();
}

/** Called once by main.tsx. */
export function startApp(): void {
  setUnauthorizedHandler(() => endSession(t('sessionEnded')));
  let running: string | null = null;
  effect(() => {
    const s = session.value;
    const key = s ? `${s.userId}:${s.token}` : null;
    if (key === running) return;
    if (running) stop();
    running = key;
    if (!s) return;
    // My own name and picture before the first hello's GET /me (the users cache is emptied on
    // stop); untracked, or every change to the cache would run this effect again.
    untracked(() => rememberUsers([s.user]));
    start(s.userId, s.token);
  });
  // The tab title carries the unread count, for a chat left in a background tab.
  effect(() => {
    const unread = totalUnread(chat.conversations.value);
    document.title = unread > 0 ? `(${unread}) ${t('appName')}` : t('appName');
  });
  document.addEventListener('visibilitychange', () => {
    const id = chat.openId.value;
    if (!id || document.visibilityState !== 'visible') return;
    chat.markRead(id);
    if (id.startsWith('g:')) void chat.loadGroupReads(id);
  });
}
