import { announcement } from '../state/announcer';

/**
 * A visually hidden polite live region, always in the page (a region inserted together with its
 * text is often not read). Each announcement is a new paragraph (keyed), so a screen reader
 * reads it even when the words repeat the previous one.
 */
export function LiveAnnouncer() {
  const a = announcement.value;
  return (
    <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="live-announcer">
      {a && <p key={a.id}>{a.text}</p>}
    </div>
  );
}
