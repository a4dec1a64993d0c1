import type { Content } from '../api/types';
import { t } from '../i18n';
import type { OwnStatus } from '../logic/outbox';
import { displayName } from '../state/users';
import { Avatar } from './Avatar';
import { shortTime } from './format';
import { MessageActions } from './MessageActions';
import { MessageContent } from './MessageContent';

type Props = {
  mine: boolean;
  senderId: number;
  showSender: boolean;
  content: Content;
  timeMs: number;
  seq?: number;
  status?: OwnStatus;
  /** My group message: how many members read it (shown instead of "Sent" once above 0). */
  readBy?: number;
  onRetry?: () => void;
  /** While choosing messages: whether this one is chosen, and how to toggle it. */
  selected?: boolean;
  onSelect?: () => void;
};

const statusLabel: Record<OwnStatus, () => string> = {
  sending: () => t('sending'),
  sent: () => t('sent'),
  read: () => t('read'),
  failed: () => t('failed'),
};

export function MessageBubble({ mine, senderId, showSender, content, timeMs, seq, status, readBy, onRetry, selected, onSelect }: Props) {
  const sender = showSender && !mine;
  const body = (
    <>
      {sender && <span class="sender">{displayName(senderId)}</span>}
      <div class="bubble">
        <MessageContent content={content} />
        <span class="meta">
          <time>{shortTime(timeMs)}</time>
          {status && (
            <span class={`status status-${status}`} data-testid="message-status">
              {readBy ? t('readBy', { n: readBy }) : statusLabel[status]()}
            </span>
          )}
          {seq !== undefined && !onSelect && <MessageActions seq={seq} sender_id={senderId} server_time_ms={timeMs} content={content} />}
          {onRetry && (
            <button type="button" class="link" onClick={onRetry}>
              {t('retry')}
            </button>
          )}
        </span>
      </div>
    </>
  );
  return (
    <div
      class={`msg ${mine ? 'mine' : 'theirs'}${sender ? ' with-sender' : ''}${content.type === 'recalled' ? ' recalled' : ''}${onSelect ? ' choosing' : ''}`}
      data-testid="message"
      data-seq={seq ?? ''}
      data-mine={mine ? 'true' : 'false'}
      data-status={status ?? ''}
      data-read-by={readBy ?? undefined}
      data-selected={onSelect ? String(!!selected) : undefined}
    >
      {onSelect && (
        <input type="checkbox" class="pick" data-testid="message-select" aria-label={t('selectMessage')} checked={!!selected} onChange={onSelect} />
      )}
      {sender ? (
        // Someone else's message in a group: their picture beside it, their name above it.
        <>
          <Avatar id={senderId} name={displayName(senderId)} size="small" />
          <div class="msg-body">{body}</div>
        </>
      ) : (
        body
      )}
    </div>
  );
}
