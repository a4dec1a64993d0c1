import { FriendList } from './FriendList';
import { RequestList } from './RequestList';
import { UserSearch } from './UserSearch';

/** Find people, answer requests, and start chats with friends. */
export function FriendsPanel() {
  return (
    <div class="panel" data-testid="friends-panel">
      <UserSearch />
      <RequestList />
      <FriendList />
    </div>
  );
}
