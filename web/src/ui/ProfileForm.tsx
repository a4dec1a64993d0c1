import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { session, updateProfile } from '../state/session';
import { AvatarPicker } from './AvatarPicker';
import { useAction } from './useAction';

const ME = { kind: 'me' } as const;

/** My picture (PUT/DELETE /me/avatar, at once), display name and bio (PATCH /me, with Save). */
export function ProfileForm() {
  const me = session.value;
  const user = me?.user;
  const [nickname, setNickname] = useState(user?.nickname ?? '');
  const [bio, setBio] = useState(user?.bio ?? '');
  const [done, setDone] = useState(false);
  const [busy, run] = useAction();
  return (
    <form
      class="stack"
      data-testid="profile-form"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(false);
        run(async () => {
          const saved = await updateProfile({ nickname: nickname.trim(), bio: bio.trim() });
          setNickname(saved.nickname);
          setBio(saved.bio ?? '');
          setDone(true);
        });
      }}
    >
      <h3>{t('profile')}</h3>
      {me && <AvatarPicker target={ME} id={me.userId} name={me.user.nickname || me.user.username} testid="profile" />}
      <label>
        {t('displayName')}
        <input maxLength={64} autocomplete="nickname" data-testid="profile-nickname" value={nickname} onInput={(e) => setNickname(e.currentTarget.value)} />
      </label>
      <label>
        {t('bio')}
        <textarea rows={3} maxLength={512} data-testid="profile-bio" value={bio} onInput={(e) => setBio(e.currentTarget.value)} />
      </label>
      {done && (
        <p class="info" role="status" data-testid="profile-saved">
          {t('profileSaved')}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy} data-testid="profile-save">
        {t('save')}
      </button>
    </form>
  );
}
