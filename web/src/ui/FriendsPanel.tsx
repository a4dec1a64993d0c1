import { BlockList } from './BlockList';
import { FriendList } from './FriendList';
import { RequestList } from './RequestList';
import { UserSearch } from './UserSearch';

/** Find people, answer requests, start chats with friends, manage friends and blocks. */
export function FriendsPanel() {
  return (
    <div class="panel" data-testid="friends-panel">
      <UserSearch />
      <RequestList />
      <FriendList />
      <BlockList />
    </div>
  );
}
