import { initials } from './format';

/** A letter avatar whose colour is stable per user (one of a few classes; no inline styles). */
export function Avatar({ id, name, online }: { id: number; name: string; online?: boolean }) {
  return (
    <span class={`avatar hue-${id % 6}`} aria-hidden="true">
      {initials(name)}
      {online !== undefined && <span class={online ? 'dot online' : 'dot'} />}
    </span>
  );
}
