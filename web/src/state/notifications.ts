// The notification list (GET /notifications, then live `notification` frames), newest first.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { Notification } from '../api/types';
import { ensureUsers } from './users';

export const notifications = signal<readonly Notification[]>([]);
/** Notifications that arrived since the list was last looked at. */
export const unseen = signal(0);

let afterId = 0;

function add(list: readonly Notification[]): number {
  const known = new Set(notifications.value.map((n) => n.notification_id));
  const fresh = list.filter((n) => !known.has(n.notification_id));
  if (fresh.length === 0) return 0;
  notifications.value = [...notifications.value, ...fresh].sort((a, b) => (b.notification_id ?? 0) - (a.notification_id ?? 0));
  ensureUsers(fresh.map((n) => n.actor_id ?? 0));
  return fresh.length;
}

/** Everything after the last id seen (all of it the first time). */
export async function loadNotifications(): Promise<void> {
  for (;;) {
    const page = await call(api.GET('/notifications', { params: { query: { after_id: afterId, limit: 100 } } }));
    add(page.notifications ?? []);
    afterId = Math.max(afterId, page.next_after_id ?? 0);
    if (!page.has_more || (page.notifications ?? []).length === 0) return;
  }
}

export function onNotification(n: Notification): void {
  unseen.value += add([n]);
  afterId = Math.max(afterId, n.notification_id ?? 0);
}

export function resetNotifications(): void {
  notifications.value = [];
  unseen.value = 0;
  afterId = 0;
}
