import type { Conversation } from '../api/types';
import { t } from '../i18n';
import { peerOf } from '../logic/conversationId';
import { report } from '../state/app';
import * as chat from '../state/chat';
import { groupName } from '../state/groups';
import { session } from '../state/session';
import { displayName } from '../state/users';
import { Avatar } from './Avatar';
import { contentText, shortTime } from './format';

type Named = Pick<Conversation, 'conversation_id' | 'kind' | 'target_id'>;

/** Whom a conversation is with: the group, or the peer of a direct one. */
export function conversationWith(c: Named, me: number): { id: number; group: boolean } {
  if (c.kind === 'group') return { id: c.target_id, group: true };
  return { id: peerOf(c.conversation_id, me) ?? c.target_id, group: false };
}

export function conversationTitle(c: Named, me: number): string {
  const who = conversationWith(c, me);
  if (who.group) return groupName(who.id) ?? `#${who.id}`;
  return displayName(who.id);
}

function Item({ c, me }: { c: Conversation; me: number }) {
  const title = conversationTitle(c, me);
  const active = chat.openId.value === c.conversation_id;
  const preview = c.last_message ? contentText(c.last_message.content) : t('noMessagePreview');
  return (
    <li>
      <button
        type="button"
        class={active ? 'conv active' : 'conv'}
        aria-current={active ? 'true' : undefined}
        data-testid="conversation-item"
        data-conversation-id={c.conversation_id}
        onClick={() => void chat.open(c.conversation_id).catch(report)}
      >
        <Avatar {...conversationWith(c, me)} name={title} />
        <span class="conv-body">
          <span class="conv-top">
            <strong class="conv-title">{title}</strong>
            <time class="muted">{shortTime(c.last_activity_ms)}</time>
          </span>
          <span class="conv-bottom">
            <span class="preview" data-testid="conversation-preview">
              {c.last_message?.sender_id === me ? '✓ ' : ''}
              {preview}
            </span>
            {c.unread > 0 && (
              <span class="badge" data-testid="unread-badge" aria-label={t('unread', { n: c.unread })}>
                {c.unread}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

export function ConversationList() {
  const me = session.value?.userId ?? 0;
  const list = chat.conversations.value;
  if (list.length === 0) return <p class="empty">{t('noConversations')}</p>;
  return (
    <ul class="list" data-testid="conversation-list">
      {list.map((c) => (
        <Item key={c.conversation_id} c={c} me={me} />
      ))}
    </ul>
  );
}
