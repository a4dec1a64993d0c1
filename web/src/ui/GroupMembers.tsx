import { useState } from 'preact/hooks';
import type { Group } from '../api/types';
import { t } from '../i18n';
import { invite, leave, members } from '../state/groups';
import { friends } from '../state/social';
import { useAction } from './useAction';

/** A group's members, inviting a friend who is not in it yet, and leaving. */
export function GroupMembers({ group }: { group: Group }) {
  const id = group.group_id ?? 0;
  const list = members.value[id] ?? [];
  const inGroup = new Set(list.map((m) => m.user?.user_id));
  const invitable = friends.value.filter((f) => f.user && !inGroup.has(f.user.user_id));
  const [who, setWho] = useState('');
  const [busy, run] = useAction();
  return (
    <div class="members" data-testid="group-members">
      <ul class="list">
        {list.map((m) => (
          <li key={m.user?.user_id} class="member" data-testid="group-member" data-username={m.user?.username}>
            <span>{m.user?.nickname || m.user?.username}</span>
            <span class="pill">{t(`role_${m.role ?? 'member'}`)}</span>
          </li>
        ))}
      </ul>
      {invitable.length > 0 && (
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            run(() => invite(id, [Number(who)]));
          }}
        >
          <label class="visually-hidden" for={`invite-${id}`}>
            {t('inviteWho')}
          </label>
          <select id={`invite-${id}`} required data-testid="group-invite-pick" value={who} onChange={(e) => setWho(e.currentTarget.value)}>
            <option value="">{t('inviteWho')}</option>
            {invitable.map(({ user }) => (
              <option key={user?.user_id} value={String(user?.user_id)}>
                {user?.nickname || user?.username}
              </option>
            ))}
          </select>
          <button type="submit" class="small" disabled={busy || !who} data-testid="group-invite">
            {t('invite')}
          </button>
        </form>
      )}
      {group.my_role !== 'owner' && (
        <button type="button" class="danger small" disabled={busy} data-testid="group-leave" onClick={() => run(() => leave(id))}>
          {t('leave')}
        </button>
      )}
    </div>
  );
}
