import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';
import { AVATAR_ACCEPT } from '../logic/avatars';
import { avatarChange, changeAvatar, forgetFinishedAvatarChange, removeAvatar, type AvatarTarget } from '../state/avatars';
import { groupAvatar } from '../state/groups';
import { userAvatar } from '../state/users';
import { Avatar } from './Avatar';

type Props = {
  target: AvatarTarget;
  /** The user's or group's id and name, for the picture shown. */
  id: number;
  name: string;
  /** Prefix of the test ids: `profile` or `group-edit`. */
  testid: string;
};

/** My picture or a group's: the current one, Change picture (a file picker for PNG, JPEG, GIF
 * and WebP, then an upload with its progress), Remove picture, and what happened in words. */
export function AvatarPicker({ target, id, name, testid }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const group = target.kind === 'group';
  const has = (group ? groupAvatar(id) : userAvatar(id)) > 0;
  const change = avatarChange(target);
  const busy = change?.state === 'uploading' || change?.state === 'saving';
  // A finished change's words belong to this visit of the form.
  useEffect(() => () => forgetFinishedAvatarChange(target), [target.kind, id]);
  return (
    <div class="avatar-picker" data-testid={`${testid}-avatar`}>
      <Avatar id={id} name={name} group={group} size="large" />
      <div class="avatar-picker-body">
        <input
          ref={input}
          type="file"
          accept={AVATAR_ACCEPT}
          hidden
          data-testid={`${testid}-avatar-input`}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (file) void changeAvatar(target, file);
          }}
        />
        <span class="actions">
          <button type="button" class="small" disabled={busy} data-testid={`${testid}-avatar-change`} onClick={() => input.current?.click()}>
            {t('changePicture')}
          </button>
          {has && (
            <button type="button" class="small" disabled={busy} data-testid={`${testid}-avatar-remove`} onClick={() => void removeAvatar(target)}>
              {t('removePicture')}
            </button>
          )}
        </span>
        {change?.state === 'uploading' && <progress max={change.size || 1} value={change.sent} aria-label={t('pictureUploading')} data-testid={`${testid}-avatar-progress`} />}
        {change?.state === 'saving' && <small class="muted">{t('pictureSaving')}</small>}
        {change?.state === 'done' && (
          <small class="muted" role="status" data-testid={`${testid}-avatar-saved`}>
            {t(change.removed ? 'pictureRemoved' : 'pictureSaved')}
          </small>
        )}
        {change?.state === 'failed' && (
          <p class="error" role="alert" data-testid={`${testid}-avatar-problem`}>
            {t(change.problem)}
          </p>
        )}
      </div>
    </div>
  );
}
