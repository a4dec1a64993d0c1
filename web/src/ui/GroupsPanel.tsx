import { CreateGroupForm } from './CreateGroupForm';
import { GroupList } from './GroupList';
import { JoinGroupForm } from './JoinGroupForm';

/** My groups, creating one, and joining one by id. */
export function GroupsPanel() {
  return (
    <div class="panel" data-testid="groups-panel">
      <GroupList />
      <CreateGroupForm />
      <JoinGroupForm />
    </div>
  );
}
