import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { createGroup, type JoinMode } from '../state/groups';
import { friends } from '../state/social';
import { JoinModeFields } from './JoinModeFields';
import { useAction } from './useAction';

export function CreateGroupForm() {
  const [name, setName] = useState('');
  const [mode, setMode] = useState<JoinMode>('invite_only');
  const [password, setPassword] = useState('');
  const [picked, setPicked] = useState<readonly number[]>([]);
  const [busy, run] = useAction();
  const toggle = (id: number) => setPicked(picked.includes(id) ? picked.filter((x) => x !== id) : [...picked, id]);
  return (
    <form
      class="stack"
      data-testid="create-group-form"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await createGroup({ name: name.trim(), join_mode: mode, password, member_ids: [...picked] });
          setName('');
          setPassword('');
          setPicked([]);
        });
      }}
    >
      <h3>{t('createGroup')}</h3>
      <label>
        {t('groupName')}
        <input required maxLength={64} data-testid="group-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <JoinModeFields
        mode={mode}
        onMode={setMode}
        password={password}
        onPassword={setPassword}
        passwordRequired
        passwordLabel="groupPassword"
        testid="group"
      />
      {friends.value.length > 0 && (
        <fieldset class="picks">
          <legend>{t('initialMembers')}</legend>
          {friends.value.map(({ user }) =>
            user ? (
              <label key={user.user_id} class="check">
                <input type="checkbox" data-testid="group-member-pick" data-username={user.username} checked={picked.includes(user.user_id)} onChange={() => toggle(user.user_id)} />
                {user.nickname || user.username}
              </label>
            ) : null,
          )}
        </fieldset>
      )}
      <button type="submit" class="primary" disabled={busy || !name.trim()} data-testid="create-group-submit">
        {t('createGroup')}
      </button>
    </form>
  );
}
