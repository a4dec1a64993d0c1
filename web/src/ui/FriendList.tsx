import { useState } from 'preact/hooks';
import type { Friend } from '../api/types';
import { t } from '../i18n';
import { directConversationId } from '../logic/conversationId';
import { report } from '../state/app';
import * as chat from '../state/chat';
import { session } from '../state/session';
import { friends } from '../state/social';
import { Avatar } from './Avatar';
import { FriendActions } from './FriendActions';
import { tab } from './nav';
import { Presence } from './Presence';

/** Online friends first, then by name. */
function sorted() {
  return [...friends.value]
    .filter((f) => f.user)
    .sort((a, b) => Number(!!b.user?.online) - Number(!!a.user?.online) || (a.user?.username ?? '').localeCompare(b.user?.username ?? ''));
}

function FriendItem({ friend, onChat }: { friend: Friend; onChat: (userId: number) => void }) {
  const [open, setOpen] = useState(false);
  const user = friend.user;
  if (!user) return null;
  const name = friend.remark || user.nickname || user.username;
  return (
    <li data-testid="friend-item" data-username={user.username}>
      <div class="row">
        <Avatar id={user.user_id} name={name} online={!!user.online} />
        <span class="row-body">
          <strong data-testid="friend-name">{name}</strong>
          <Presence user={user} />
          {user.bio && (
            <small class="muted" data-testid="friend-bio">
              {user.bio}
            </small>
          )}
        </span>
        <span class="actions">
          <button type="button" class="small" aria-expanded={open} aria-label={`${t('friendOptions')}: ${name}`} data-testid="friend-options" onClick={() => setOpen(!open)}>
            ⋯
          </button>
          <button type="button" class="small" data-testid="start-chat" onClick={() => onChat(user.user_id)}>
            {t('startChat')}
          </button>
        </span>
      </div>
      {open && <FriendActions friend={friend} name={name} />}
    </li>
  );
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
          {list.map((f) => (
            <FriendItem key={f.user?.user_id} friend={f} onChat={startChat} />
          ))}
        </ul>
      )}
    </section>
  );
}
