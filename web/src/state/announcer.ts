// The polite live region's text (ui/LiveAnnouncer.tsx): "New message from X" for messages that
// arrive while the page is open, said once per burst. Rows scrolled into view or loaded with a
// chat are history and say nothing (logic/announce.ts decides).
import { signal } from '@preact/signals';
import { lang, t } from '../i18n';
import { burstCollector, describeArrivals, type Arrival, type Wording } from '../logic/announce';
import { groupName } from './groups';
import { displayName } from './users';

/** The latest announcement; `id` changes with every one, so the same words are said again. */
export const announcement = signal<{ id: number; text: string } | null>(null);

/** Long enough to gather a burst (and for a new sender's name to be fetched), short enough to feel live. */
const BURST_MS = 700;

const wording: Wording = {
  name: displayName,
  place: (id) => (id.startsWith('g:') ? (groupName(Number(id.slice(2))) ?? `#${id.slice(2)}`) : null),
  list: (names) => new Intl.ListFormat(lang.value === 'zh' ? 'zh-CN' : 'en', { type: 'conjunction' }).format(names),
  others: (n) => t('announceOthers', { n }),
  one: (name) => t('announceOne', { name }),
  oneIn: (name, place) => t('announceOneIn', { name, place }),
  many: (n, names) => t('announceMany', { n, names }),
  manyIn: (n, names, place) => t('announceManyIn', { n, names, place }),
};

let counter = 0;
const bursts = burstCollector((arrivals) => {
  announcement.value = { id: ++counter, text: describeArrivals(arrivals, wording) };
}, BURST_MS);

export function announceArrivals(arrivals: readonly Arrival[]): void {
  bursts.add(arrivals);
}

export function resetAnnouncer(): void {
  bursts.reset();
  announcement.value = null;
}
