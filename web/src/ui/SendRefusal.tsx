import { t } from '../i18n';
import { outbox } from '../state/chat';

/** Why my last send here was refused (muted, not a member, ...), in the server's words. */
export function SendRefusal({ id }: { id: string }) {
  const failed = outbox.value.filter((p) => p.conversation_id === id && p.state === 'failed' && p.error);
  const last = failed[failed.length - 1];
  if (!last) return null;
  return (
    <p class="refusal" role="alert" data-testid="send-refusal">
      {t('notSentBecause', { message: last.error ?? '' })}
    </p>
  );
}
