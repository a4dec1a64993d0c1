import { t } from '../i18n';
import type { MessageKey } from '../i18n/dict';
import { JOIN_MODES, type JoinMode } from '../state/groups';

type Props = {
  mode: JoinMode;
  onMode: (mode: JoinMode) => void;
  password: string;
  onPassword: (password: string) => void;
  /** Whether the password mode needs one typed here (a new group, or a group not yet in that mode). */
  passwordRequired: boolean;
  passwordLabel: MessageKey;
  /** data-testid prefix: `${testid}-join-mode`, `${testid}-password`. */
  testid: string;
};

/** A group's join mode, and its password when the mode is "password" (creating or editing a group). */
export function JoinModeFields({ mode, onMode, password, onPassword, passwordRequired, passwordLabel, testid }: Props) {
  return (
    <>
      <label>
        {t('joinMode')}
        <select data-testid={`${testid}-join-mode`} value={mode} onChange={(e) => onMode(e.currentTarget.value as JoinMode)}>
          {JOIN_MODES.map((m) => (
            <option key={m} value={m}>
              {t(`mode_${m}`)}
            </option>
          ))}
        </select>
      </label>
      {mode === 'password' && (
        <label>
          {t(passwordLabel)}
          <input
            type="password"
            autocomplete="new-password"
            required={passwordRequired}
            data-testid={`${testid}-password`}
            value={password}
            onInput={(e) => onPassword(e.currentTarget.value)}
          />
        </label>
      )}
    </>
  );
}
