import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';
import { useAction } from './useAction';

type Props = { label: string; question: string; testid: string; onConfirm: () => Promise<void>; disabled?: boolean };

/**
 * A button for something that cannot be undone (kick, dissolve, remove a friend): the first
 * press asks, in place and with the focus on the answer, so it works from the keyboard and
 * needs no modal dialog (Escape or Cancel steps back).
 */
export function ConfirmButton({ label, question, testid, onConfirm, disabled }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, run] = useAction();
  const yes = useRef<HTMLButtonElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  /** Set when the question closes without the action: the focus goes back to the button. */
  const stepBack = useRef(false);
  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (stepBack.current) trigger.current?.focus();
    stepBack.current = false;
  }, [asking]);
  const cancel = () => {
    stepBack.current = true;
    setAsking(false);
  };
  if (!asking) {
    return (
      <button type="button" class="danger small" ref={trigger} disabled={disabled || busy} data-testid={testid} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span
      class="confirm"
      role="group"
      aria-label={question}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        // Only the question closes, not what it sits in (a selection, a form).
        e.stopPropagation();
        cancel();
      }}
    >
      <span>{question}</span>
      <button
        type="button"
        class="danger small"
        ref={yes}
        disabled={busy}
        data-testid={`${testid}-confirm`}
        onClick={() => run(() => onConfirm().finally(() => setAsking(false)))}
      >
        {t('yes')}
      </button>
      <button type="button" class="small" disabled={busy} onClick={cancel}>
        {t('no')}
      </button>
    </span>
  );
}
