import { useEffect } from 'preact/hooks';
import type { Notification } from '../api/types';
import { t } from '../i18n';
import type { MessageKey } from '../i18n/dict';
import { groupName } from '../state/groups';
import { notifications, unseen } from '../state/notifications';
import { displayName } from '../state/users';
import { shortTime } from './format';

function text(n: Notification): string {
  const key = `n_${n.kind ?? 'group_updated'}` as MessageKey;
  const groupId = n.group_id ?? 0;
  const details = (n.details ?? {}) as Record<string, unknown>;
  const group = groupName(groupId) ?? (typeof details.name === 'string' ? details.name : `#${groupId}`);
  return t(key, { actor: displayName(n.actor_id ?? 0), group });
}

export function NotificationsPanel() {
  // Opening the panel is looking at them.
  useEffect(() => {
    unseen.value = 0;
  }, [notifications.value.length]);
  const list = notifications.value;
  return (
    <section class="panel" aria-labelledby="notif-h" data-testid="notifications-panel">
      <h3 id="notif-h">{t('notifications')}</h3>
      {list.length === 0 ? (
        <p class="empty">{t('noNotifications')}</p>
      ) : (
        <ul class="list">
          {list.map((n) => (
            <li key={n.notification_id} class="row notification" data-testid="notification" data-kind={n.kind}>
              <span class="row-body">
                <span>{text(n)}</span>
                <small class="muted">{shortTime(n.created_at_ms ?? 0)}</small>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
