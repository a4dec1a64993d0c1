import { useState } from 'preact/hooks';
import type { Relation } from '../api/types';
import { t } from '../i18n';
import type { MessageKey } from '../i18n/dict';
import { block, unblock } from '../state/blocks';
import { searchHits, searchUsers, sendFriendRequest, type SearchHit } from '../state/social';
import { Avatar } from './Avatar';
import { ConfirmButton } from './ConfirmButton';
import { useAction } from './useAction';

const relationLabel: Record<Exclude<Relation, 'none'>, MessageKey> = {
  self: 'isYou',
  friend: 'isFriend',
  request_sent: 'requestSent',
  request_received: 'respondBelow',
  blocked: 'blocked',
  blocked_by: 'blocked',
};

function Hit({ hit }: { hit: SearchHit }) {
  const [busy, run] = useAction();
  const { user, relation } = hit;
  const name = user.nickname || user.username;
  return (
    <li class="row" data-testid="search-hit" data-username={user.username} data-relation={relation}>
      <Avatar id={user.user_id} name={name} />
      <span class="row-body">
        <strong>{name}</strong>
        <small class="muted">@{user.username}</small>
      </span>
      <span class="actions">
        {relation === 'none' ? (
          <button type="button" class="primary small" disabled={busy} data-testid="add-friend" onClick={() => run(() => sendFriendRequest(user.user_id))}>
            {t('addFriend')}
          </button>
        ) : (
          <span class="pill" data-testid="relation">
            {t(relationLabel[relation])}
          </span>
        )}
        {relation === 'blocked' ? (
          <button type="button" class="small" disabled={busy} data-testid="search-unblock" onClick={() => run(() => unblock(user.user_id))}>
            {t('unblock')}
          </button>
        ) : (
          relation !== 'self' && <ConfirmButton label={t('block')} question={t('confirmBlock', { name })} testid="search-block" onConfirm={() => block(user.user_id)} />
        )}
      </span>
    </li>
  );
}

export function UserSearch() {
  const [q, setQ] = useState('');
  const [busy, run] = useAction();
  const hits = searchHits.value;
  return (
    <section aria-labelledby="search-h">
      <h3 id="search-h">{t('searchUsers')}</h3>
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          run(() => searchUsers(q));
        }}
      >
        <label class="visually-hidden" for="search-input">
          {t('searchUsers')}
        </label>
        <input id="search-input" data-testid="search-input" type="search" maxLength={64} placeholder={t('searchPlaceholder')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit" disabled={busy || !q.trim()} data-testid="search-submit">
          {t('search')}
        </button>
      </form>
      {hits && hits.length === 0 && <p class="empty">{t('noResults')}</p>}
      {hits && hits.length > 0 && (
        <ul class="list" data-testid="search-results">
          {hits.map((h) => (
            <Hit key={h.user.user_id} hit={h} />
          ))}
        </ul>
      )}
    </section>
  );
}
