import { t } from '../i18n';
import { typers } from '../state/typing';
import { displayName } from '../state/users';

/** "X is typing…" under the chat title, from `typing` frames (state/typing.ts clears them). */
export function TypingIndicator({ id }: { id: string }) {
  const who = typers.value[id] ?? [];
  if (who.length === 0) return null;
  const names = who.map(displayName).join(', ');
  return (
    <small class="typing" data-testid="typing-indicator" aria-live="polite">
      {t(who.length === 1 ? 'typingOne' : 'typingMany', { names })}
    </small>
  );
}
