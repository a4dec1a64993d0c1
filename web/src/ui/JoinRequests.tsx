import { useEffect } from 'preact/hooks';
import { t } from '../i18n';
import { report } from '../state/app';
import { answerJoinRequest, joinRequests, loadJoinRequests } from '../state/groupAdmin';
import { Avatar } from './Avatar';
import { useAction } from './useAction';

/** Pending requests to join an approval group, for its owner and admins. */
export function JoinRequests({ groupId }: { groupId: number }) {
  const [busy, run] = useAction();
  useEffect(() => {
    loadJoinRequests(groupId).catch(report);
  }, [groupId]);
  const list = joinRequests.value[groupId] ?? [];
  return (
    <section class="join-requests" aria-labelledby={`jr-${groupId}`} data-testid="join-requests">
      <h3 id={`jr-${groupId}`}>{t('joinRequests')}</h3>
      {list.length === 0 ? (
        <p class="empty">{t('noRequests')}</p>
      ) : (
        <ul class="list">
          {list.map((r) => {
            const id = r.join_request_id ?? 0;
            const name = r.user?.nickname || r.user?.username || '?';
            return (
              <li key={id} class="member" data-testid="join-request" data-username={r.user?.username}>
                <span class="member-who">
                  <Avatar id={r.user?.user_id ?? 0} name={name} size="small" />
                  <span>
                    {name}
                    {r.message && <small class="muted"> · {r.message}</small>}
                  </span>
                </span>
                <span class="actions">
                  <button type="button" class="primary small" disabled={busy} data-testid="join-approve" onClick={() => run(() => answerJoinRequest(groupId, id, true))}>
                    {t('approve')}
                  </button>
                  <button type="button" class="small" disabled={busy} data-testid="join-reject" onClick={() => run(() => answerJoinRequest(groupId, id, false))}>
                    {t('reject')}
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
