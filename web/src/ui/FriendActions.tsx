import { useState } from 'preact/hooks';
import type { Friend } from '../api/types';
import { t } from '../i18n';
import { block } from '../state/blocks';
import { removeFriend, setRemark } from '../state/social';
import { ConfirmButton } from './ConfirmButton';
import { useAction } from './useAction';

/** A friend's remark (my name for them), removing them, and blocking them. */
export function FriendActions({ friend, name }: { friend: Friend; name: string }) {
  const id = friend.user?.user_id ?? 0;
  const [remark, setText] = useState(friend.remark ?? '');
  const [busy, run] = useAction();
  return (
    <div class="friend-actions" data-testid="friend-actions">
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          run(() => setRemark(id, remark));
        }}
      >
        <label class="visually-hidden" for={`remark-${id}`}>
          {t('remark')}
        </label>
        <input
          id={`remark-${id}`}
          data-testid="friend-remark-input"
          maxLength={64}
          placeholder={t('remark')}
          title={t('remarkHint')}
          value={remark}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="small" disabled={busy} data-testid="friend-remark-save">
          {t('save')}
        </button>
      </form>
      <span class="actions">
        <ConfirmButton label={t('removeFriend')} question={t('confirmRemoveFriend', { name })} testid="friend-remove" onConfirm={() => removeFriend(id)} />
        <ConfirmButton label={t('block')} question={t('confirmBlock', { name })} testid="friend-block" onConfirm={() => block(id)} />
      </span>
    </div>
  );
}
