import type { ChatMessage } from '../api/types';
import { t } from '../i18n';
import * as chat from '../state/chat';
import { canRecall, deleteForMe, recall } from '../state/messageActions';
import { useAction } from './useAction';

type Props = Pick<ChatMessage, 'seq' | 'sender_id' | 'server_time_ms' | 'content'>;

/**
 * Recall (mine, within the window) and delete for me, on a stored message. Bubbles are only
 * drawn for the open conversation, so that is the one they act on. Shown on hover and on
 * keyboard focus (they stay in the tab order).
 */
export function MessageActions(m: Props) {
  const [busy, run] = useAction();
  const id = chat.openId.value;
  if (!id) return null;
  return (
    <span class="msg-actions">
      {canRecall(m) && (
        <button type="button" class="link" disabled={busy} data-testid="message-recall" onClick={() => run(() => recall(id, m.seq))}>
          {t('recall')}
        </button>
      )}
      <button type="button" class="link" disabled={busy} data-testid="message-delete" onClick={() => run(() => deleteForMe(id, [m.seq]))}>
        {t('deleteForMe')}
      </button>
    </span>
  );
}
