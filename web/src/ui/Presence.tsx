import type { User } from '../api/types';
import { t } from '../i18n';
import { shortTime } from './format';

/** "Online", or when the friend was last seen. */
export function Presence({ user }: { user: User }) {
  const text = user.online ? t('online') : user.last_seen_ms ? t('lastSeen', { when: shortTime(user.last_seen_ms) }) : t('neverSeen');
  return (
    <small class={user.online ? 'presence online' : 'presence'} data-testid="friend-presence" data-online={user.online ? 'true' : 'false'}>
      {text}
    </small>
  );
}
