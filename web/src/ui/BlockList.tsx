import { useEffect } from 'preact/hooks';
import { t } from '../i18n';
import { report } from '../state/app';
import { blocked, loadBlocks, unblock } from '../state/blocks';
import { Avatar } from './Avatar';
import { useAction } from './useAction';

/** Users I blocked, each with Unblock; nothing at all while there are none. */
export function BlockList() {
  const [busy, run] = useAction();
  // Asked when the Friends tab opens, not after every hello: only this list needs it.
  useEffect(() => {
    loadBlocks().catch(report);
  }, []);
  if (blocked.value.length === 0) return null;
  return (
    <section aria-labelledby="blocks-h">
      <h3 id="blocks-h">{t('blockedUsers')}</h3>
      <ul class="list" data-testid="block-list">
        {blocked.value.map((u) => (
          <li key={u.user_id} class="row" data-testid="blocked-user" data-username={u.username}>
            <Avatar id={u.user_id} name={u.nickname || u.username} />
            <span class="row-body">
              <strong>{u.nickname || u.username}</strong>
              <small class="muted">@{u.username}</small>
            </span>
            <button type="button" class="small" disabled={busy} data-testid="unblock" onClick={() => run(() => unblock(u.user_id))}>
              {t('unblock')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
