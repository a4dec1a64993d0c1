import { useEffect, useRef, useState } from 'preact/hooks';
import type { Group } from '../api/types';
import { t } from '../i18n';
import { updateGroup, type JoinMode } from '../state/groups';
import { AvatarPicker } from './AvatarPicker';
import { JoinModeFields } from './JoinModeFields';
import { useAction } from './useAction';

/** The owner's and admins' form for a group's picture (PUT/DELETE /groups/{id}/avatar, at once),
 * name, description and join mode (PATCH /groups/{id}, with Save). */
export function GroupEditForm({ group }: { group: Group }) {
  const id = group.group_id ?? 0;
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(group.name ?? '');
  const [description, setDescription] = useState(group.description ?? '');
  const [mode, setMode] = useState<JoinMode>(group.join_mode ?? 'open');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const [busy, run] = useAction();
  // Keyboard users keep their place: the form's first field on opening, the button on closing.
  const toggle = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLInputElement>(null);
  const opened = useRef(false);
  useEffect(() => {
    if (open) first.current?.focus();
    else if (opened.current) toggle.current?.focus();
    opened.current ||= open;
  }, [open]);
  // The form starts from the group as it is now (another admin may have changed it).
  function start() {
    setName(group.name ?? '');
    setDescription(group.description ?? '');
    setMode(group.join_mode ?? 'open');
    setPassword('');
    setDone(false);
    setOpen(true);
  }
  if (!open) {
    return (
      <div class="group-edit">
        <button type="button" class="small" ref={toggle} aria-expanded="false" data-testid="group-edit-toggle" onClick={start}>
          {t('editGroup')}
        </button>
        {done && (
          <p class="info" role="status" data-testid="group-saved">
            {t('groupSaved')}
          </p>
        )}
      </div>
    );
  }
  return (
    <form
      class="stack group-edit"
      data-testid="group-edit-form"
      aria-label={t('editGroup')}
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          // An empty password keeps the current one (the server keeps it when none is sent).
          await updateGroup(id, { name: name.trim(), description: description.trim(), join_mode: mode, password: mode === 'password' && password ? password : undefined });
          setPassword('');
          setDone(true);
          setOpen(false);
        });
      }}
      onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
    >
      {/* The picture changes at once (its own request), not with Save. */}
      <AvatarPicker target={{ kind: 'group', id }} id={id} name={group.name ?? `#${id}`} testid="group-edit" />
      <label>
        {t('groupName')}
        <input required maxLength={64} ref={first} data-testid="group-edit-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        {t('groupDescription')}
        <textarea rows={2} maxLength={512} data-testid="group-edit-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <JoinModeFields
        mode={mode}
        onMode={setMode}
        password={password}
        onPassword={setPassword}
        passwordRequired={group.join_mode !== 'password'}
        passwordLabel={group.join_mode === 'password' ? 'groupPasswordKeep' : 'groupPassword'}
        testid="group-edit"
      />
      <span class="actions">
        <button type="submit" class="primary small" disabled={busy || !name.trim()} data-testid="group-edit-save">
          {t('save')}
        </button>
        <button type="button" class="small" onClick={() => setOpen(false)}>
          {t('no')}
        </button>
      </span>
    </form>
  );
}
