import { t } from '../i18n';
import { directConversationId } from '../logic/conversationId';
import { report } from '../state/app';
import * as chat from '../state/chat';
import { session } from '../state/session';
import { friends } from '../state/social';
import { Avatar } from './Avatar';
import { tab } from './nav';
import { Presence } from './Presence';

/** Online friends first, then by name. */
function sorted() {
  return [...friends.value]
    .filter((f) => f.user)
    .sort((a, b) => Number(!!b.user?.online) - Number(!!a.user?.online) || (a.user?.username ?? '').localeCompare(b.user?.username ?? ''));
}

export function FriendList() {
  const me = session.value?.userId ?? 0;
  const list = sorted();
  function startChat(userId: number) {
    tab.value = 'chats';
    chat.open(directConversationId(me, userId)).catch(report);
  }
  return (
    <section aria-labelledby="friends-h">
      <h3 id="friends-h">{t('friendList')}</h3>
      {list.length === 0 ? (
        <p class="empty">{t('noFriends')}</p>
      ) : (
        <ul class="list" data-testid="friend-list">
          {list.map(({ user, remark }) => {
            if (!user) return null;
            const name = remark || user.nickname || user.username;
            return (
              <li key={user.user_id} class="row" data-testid="friend-item" data-username={user.username}>
                <Avatar id={user.user_id} name={name} online={!!user.online} />
                <span class="row-body">
                  <strong>{name}</strong>
                  <Presence user={user} />
                </span>
                <button type="button" class="small" data-testid="start-chat" onClick={() => startChat(user.user_id)}>
                  {t('startChat')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
