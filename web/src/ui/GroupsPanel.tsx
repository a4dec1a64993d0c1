import { useEffect } from 'preact/hooks';
import { report } from '../state/app';
import { loadGroups } from '../state/groups';
import { CreateGroupForm } from './CreateGroupForm';
import { GroupList } from './GroupList';
import { JoinGroupForm } from './JoinGroupForm';

/** My groups, creating one, and joining one by id. */
export function GroupsPanel() {
  // Role changes (made admin, handed the group) come with no notification: the list is asked
  // again whenever the panel opens, so my role and what it allows are current.
  useEffect(() => {
    loadGroups().catch(report);
  }, []);
  return (
    <div class="panel" data-testid="groups-panel">
      <GroupList />
      <CreateGroupForm />
      <JoinGroupForm />
    </div>
  );
}
