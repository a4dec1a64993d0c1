import type { FriendRequest, User } from '../api/types';
import { t } from '../i18n';
import { answerRequest, incoming, outgoing, type RequestAction } from '../state/social';
import { Avatar } from './Avatar';
import { useAction } from './useAction';

function Request({ request, other, actions, testid }: { request: FriendRequest; other?: User; actions: RequestAction[]; testid: string }) {
  const [busy, run] = useAction();
  const id = request.request_id ?? 0;
  const name = other ? other.nickname || other.username : '?';
  return (
    <li class="row" data-testid={testid} data-username={other?.username ?? ''}>
      <Avatar id={other?.user_id ?? 0} name={name} />
      <span class="row-body">
        <strong>{name}</strong>
        {request.message ? <small class="muted">{request.message}</small> : <small class="muted">@{other?.username}</small>}
      </span>
      <span class="actions">
        {actions.map((a) => (
          <button
            key={a}
            type="button"
            class={a === 'accept' ? 'primary small' : 'small'}
            disabled={busy}
            data-testid={`${a}-request`}
            onClick={() => run(() => answerRequest(id, a))}
          >
            {t(a)}
          </button>
        ))}
      </span>
    </li>
  );
}

export function RequestList() {
  return (
    <>
      <section aria-labelledby="incoming-h">
        <h3 id="incoming-h">{t('incoming')}</h3>
        {incoming.value.length === 0 ? (
          <p class="empty">{t('noRequests')}</p>
        ) : (
          <ul class="list">
            {incoming.value.map((r) => (
              <Request key={r.request_id} request={r} other={r.from} actions={['accept', 'reject']} testid="incoming-request" />
            ))}
          </ul>
        )}
      </section>
      {outgoing.value.length > 0 && (
        <section aria-labelledby="outgoing-h">
          <h3 id="outgoing-h">{t('outgoing')}</h3>
          <ul class="list">
            {outgoing.value.map((r) => (
              <Request key={r.request_id} request={r} other={r.to} actions={['cancel']} testid="outgoing-request" />
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
