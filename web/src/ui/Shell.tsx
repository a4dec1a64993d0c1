import { t } from '../i18n';
import { totalUnread } from '../logic/conversations';
import { connection, notice } from '../state/app';
import { conversations, openId } from '../state/chat';
import { session } from '../state/session';
import { unseen } from '../state/notifications';
import { incoming } from '../state/social';
import { Avatar } from './Avatar';
import { BellIcon } from './BellIcon';
import { ChatView } from './ChatView';
import { ConnectionBanner } from './ConnectionBanner';
import { ConversationList } from './ConversationList';
import { FriendsPanel } from './FriendsPanel';
import { GroupsPanel } from './GroupsPanel';
import { LiveAnnouncer } from './LiveAnnouncer';
import { tab, type Tab } from './nav';
import { NotificationsPanel } from './NotificationsPanel';
import { SettingsPanel } from './SettingsPanel';

function TabButton({ id, label, count }: { id: Tab; label: string; count?: number }) {
  const active = tab.value === id;
  return (
    <button type="button" aria-current={active ? 'page' : undefined} class={active ? 'tab active' : 'tab'} data-testid={`tab-${id}`} onClick={() => (tab.value = id)}>
      {label}
      {!!count && <span class="badge">{count}</span>}
    </button>
  );
}

/** Signed-in layout: a side panel (chats, friends, settings) and the open chat. */
export function Shell() {
  const me = session.value;
  if (!me) return null;
  // On a wide screen the open chat stays beside any side panel; on a phone it covers the panel.
  const chatOpen = openId.value !== null;
  return (
    <div class={chatOpen ? 'shell chat-open' : 'shell'}>
      <aside class="side">
        <header class="side-head">
          <Avatar id={me.userId} name={me.user.nickname || me.user.username} />
          <div class="who">
            <strong data-testid="current-user">{me.user.nickname || me.user.username}</strong>
            <small class={`conn conn-${connection.value}`}>@{me.user.username}</small>
          </div>
          <button
            type="button"
            class={tab.value === 'notifications' ? 'icon bell active' : 'icon bell'}
            aria-label={t('notifications')}
            aria-pressed={tab.value === 'notifications'}
            data-testid="tab-notifications"
            onClick={() => (tab.value = tab.value === 'notifications' ? 'chats' : 'notifications')}
          >
            <BellIcon />
            {unseen.value > 0 && <span class="badge">{unseen.value}</span>}
          </button>
        </header>
        <nav class="tabs" aria-label={t('appName')}>
          <TabButton id="chats" label={t('chats')} count={totalUnread(conversations.value)} />
          <TabButton id="friends" label={t('friends')} count={incoming.value.length} />
          <TabButton id="groups" label={t('groups')} />
          <TabButton id="settings" label={t('settings')} />
        </nav>
        <ConnectionBanner />
        {notice.value && (
          <p class="notice" role="alert">
            {notice.value}
            <button type="button" class="link" onClick={() => (notice.value = null)} aria-label="dismiss">
              ×
            </button>
          </p>
        )}
        <div class="side-body">
          {tab.value === 'chats' && <ConversationList />}
          {tab.value === 'friends' && <FriendsPanel />}
          {tab.value === 'groups' && <GroupsPanel />}
          {tab.value === 'settings' && <SettingsPanel />}
          {tab.value === 'notifications' && <NotificationsPanel />}
        </div>
      </aside>
      <main class="main">{openId.value ? <ChatView id={openId.value} /> : <div class="empty-main">{t('selectConversation')}</div>}</main>
      <LiveAnnouncer />
    </div>
  );
}
