import { useState } from 'preact/hooks';
import type { Group } from '../api/types';
import { t } from '../i18n';
import { groupConversationId } from '../logic/conversationId';
import { report } from '../state/app';
import * as chat from '../state/chat';
import { groups, loadMembers } from '../state/groups';
import { Avatar } from './Avatar';
import { GroupMembers } from './GroupMembers';
import { tab } from './nav';

function Item({ group }: { group: Group }) {
  const [open, setOpen] = useState(false);
  const id = group.group_id ?? 0;
  const name = group.name ?? `#${id}`;
  return (
    <li class="group" data-testid="group-item" data-group-name={name}>
      <div class="row">
        <Avatar id={id} name={name} group />
        <span class="row-body">
          <strong>{name}</strong>
          <small class="muted">
            #{id} · {t('memberCount', { n: group.member_count ?? 0 })} · {t(`mode_${group.join_mode ?? 'open'}`)}
          </small>
          {group.description && (
            <small class="muted" data-testid="group-description">
              {group.description}
            </small>
          )}
        </span>
        <span class="actions">
          <button
            type="button"
            class="small"
            aria-expanded={open}
            data-testid="group-members-toggle"
            onClick={() => {
              if (!open) loadMembers(id).catch(report);
              setOpen(!open);
            }}
          >
            {t('members')}
          </button>
          <button
            type="button"
            class="primary small"
            data-testid="group-chat"
            onClick={() => {
              tab.value = 'chats';
              chat.open(groupConversationId(id)).catch(report);
            }}
          >
            {t('startChat')}
          </button>
        </span>
      </div>
      {open && <GroupMembers group={group} />}
    </li>
  );
}

export function GroupList() {
  return (
    <section aria-labelledby="groups-h">
      <h3 id="groups-h">{t('groups')}</h3>
      {groups.value.length === 0 ? (
        <p class="empty">{t('noGroups')}</p>
      ) : (
        <ul class="list" data-testid="group-list">
          {groups.value.map((g) => (
            <Item key={g.group_id} group={g} />
          ))}
        </ul>
      )}
    </section>
  );
}
