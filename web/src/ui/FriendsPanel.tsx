import { useEffect } from 'preact/hooks';
import { report } from '../state/app';
import { loadFriends } from '../state/social';
import { BlockList } from './BlockList';
import { FriendList } from './FriendList';
import { RequestList } from './RequestList';
import { UserSearch } from './UserSearch';

/** Find people, answer requests, start chats with friends, manage friends and blocks. */
export function FriendsPanel() {
  // Profile changes (a friend's new name or bio) come with no notification: the list is asked
  // again whenever the panel opens.
  useEffect(() => {
    loadFriends().catch(report);
  }, []);
  return (
    <div class="panel" data-testid="friends-panel">
      <UserSearch />
      <RequestList />
      <FriendList />
      <BlockList />
    </div>
  );
}
