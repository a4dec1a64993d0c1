import { useState } from 'preact/hooks';
import type { Group } from '../api/types';
import { t } from '../i18n';
import { canManage, muteState } from '../logic/roles';
import { invite, leave, members } from '../state/groups';
import { session } from '../state/session';
import { friends } from '../state/social';
import { displayName } from '../state/users';
import { Avatar } from './Avatar';
import { shortTime } from './format';
import { GroupEditForm } from './GroupEditForm';
import { JoinRequests } from './JoinRequests';
import { MemberActions } from './MemberActions';
import { OwnerActions } from './OwnerActions';
import { useAction } from './useAction';

/** A group's members with their roles and what my role lets me do to them, inviting, and leaving. */
export function GroupMembers({ group }: { group: Group }) {
  const id = group.group_id ?? 0;
  const list = members.value[id] ?? [];
  const inGroup = new Set(list.map((m) => m.user?.user_id));
  const invitable = friends.value.filter((f) => f.user && !inGroup.has(f.user.user_id));
  const [who, setWho] = useState('');
  const [busy, run] = useAction();
  const me = session.value?.userId ?? 0;
  const myRole = group.my_role ?? 'none';
  const now = Date.now();
  return (
    <div class="members" data-testid="group-members">
      <ul class="list">
        {list.map((m) => {
          const userId = m.user?.user_id ?? 0;
          const name = displayName(userId);
          const muted = muteState(m, now);
          return (
            <li key={userId} class="member" data-testid="group-member" data-username={m.user?.username} data-role={m.role ?? 'member'} data-muted={muted ? 'true' : 'false'}>
              <span class="member-who">
                <Avatar id={userId} name={name} size="small" />
                <span>{name}</span>
                <span class="pill" data-testid="member-role">
                  {t(`role_${m.role ?? 'member'}`)}
                </span>
                {muted && (
                  <span class="pill warn" data-testid="member-muted">
                    {muted === 'forever' ? t('mutedIndefinitely') : t('mutedUntil', { time: shortTime(muted.until, now) })}
                  </span>
                )}
              </span>
              <MemberActions groupId={id} member={m} myRole={myRole} self={userId === me} name={name} />
            </li>
          );
        })}
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
      {canManage(myRole) && <GroupEditForm group={group} />}
      {canManage(myRole) && group.join_mode === 'approval' && <JoinRequests groupId={id} />}
      {myRole === 'owner' && <OwnerActions group={group} others={list.filter((m) => m.user?.user_id !== me)} />}
      {group.my_role !== 'owner' && (
        <button type="button" class="danger small" disabled={busy} data-testid="group-leave" onClick={() => run(() => leave(id))}>
          {t('leave')}
        </button>
      )}
    </div>
  );
}
