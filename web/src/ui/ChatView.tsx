import { t } from '../i18n';
import { peerOf } from '../logic/conversationId';
import * as chat from '../state/chat';
import { selection, startSelecting, stopSelecting } from '../state/messageActions';
import { inGroup } from '../state/groups';
import { session } from '../state/session';
import { friends } from '../state/social';
import { Avatar } from './Avatar';
import { Composer, focusComposer } from './Composer';
import { conversationTitle, conversationWith } from './ConversationList';
import { ImageViewer } from './ImageViewer';
import { MessageList } from './MessageList';
import { Presence } from './Presence';
import { SelectionBar } from './SelectionBar';
import { SendRefusal } from './SendRefusal';
import { TypingIndicator } from './TypingIndicator';

/** One conversation: header, history (pages older on scroll up) and the composer. */
export function ChatView({ id }: { id: string }) {
  const me = session.value?.userId ?? 0;
  const peer = peerOf(id, me);
  const kind = id.startsWith('g:') ? 'group' : 'direct';
  const named = { conversation_id: id, kind, target_id: peer ?? Number(id.slice(2)) } as const;
  const title = conversationTitle(named, me);
  const member = kind === 'direct' || inGroup(Number(id.slice(2)));
  const choosing = selection.value?.id === id;
  // On a phone the list comes back: the focus goes to this conversation in it, not to the page.
  const back = () => {
    chat.close();
    requestAnimationFrame(() => document.querySelector<HTMLElement>(`button.conv[data-conversation-id="${id}"]`)?.focus());
  };
  const friend = peer === null ? undefined : friends.value.find((f) => f.user?.user_id === peer)?.user;
  return (
    <section
      class="chat"
      data-testid="chat-view"
      data-conversation-id={id}
      aria-label={title}
      onKeyDown={(e) => {
        if (choosing && e.key === 'Escape') {
          stopSelecting();
          focusComposer();
        }
      }}
    >
      <header class="chat-head">
        <button type="button" class="icon back" data-testid="back-button" aria-label={t('back')} onClick={back}>
          ‹
        </button>
        <Avatar {...conversationWith(named, me)} name={title} />
        <div class="who">
          <strong data-testid="chat-title">{title}</strong>
          {friend && <Presence user={friend} />}
          <TypingIndicator id={id} />
        </div>
        <button
          type="button"
          class="small select-toggle"
          aria-pressed={choosing}
          data-testid="select-toggle"
          onClick={() => (choosing ? stopSelecting() : startSelecting(id))}
        >
          {t('select')}
        </button>
      </header>
      {member && !choosing && (
        // Tab would otherwise pass every rendered message's actions on the way to the composer.
        <button type="button" class="skip" data-testid="skip-to-composer" onClick={focusComposer}>
          {t('skipToComposer')}
        </button>
      )}
      <MessageList id={id} />
      <SendRefusal id={id} />
      {/* Kicked, left or dissolved: the history stays readable, but there is nobody to send to. */}
      {!member ? (
        <p class="gone" role="status" data-testid="chat-not-member">
          {t('notInGroup')}
        </p>
      ) : choosing ? (
        <SelectionBar />
      ) : (
        <Composer id={id} />
      )}
      <ImageViewer />
    </section>
  );
}
