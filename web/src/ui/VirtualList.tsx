// A vertical list that renders only the rows near the viewport (no dependency: the geometry is
// in logic/virtualRange.ts). Row heights vary, so each rendered row is measured and remembered
// by key; rows never seen count as ESTIMATE_PX.
//
// The scroll position is kept as an anchor, not as pixels: either "pinned to the bottom" or
// "row K starts D px above the viewport's top". Every render puts scrollTop back where the
// anchor says, so rows prepended above (older pages), estimates replaced by measurements, and
// new rows below all leave the reader's view where it was, and a pinned view follows new rows.
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useMemo, useReducer, useRef } from 'preact/hooks';
import { covers, indexAt, prefixOffsets, rangeFor, type Range } from '../logic/virtualRange';

/** A guess for rows not measured yet: about one line of text in a bubble. */
const ESTIMATE_PX = 58;
/** Within this distance of the bottom the view counts as pinned there. */
const STICK_PX = 80;

type Anchor = { key: string; delta: number } | null;

type Props<T> = {
  items: readonly T[];
  itemKey: (item: T) => string;
  renderItem: (item: T) => ComponentChildren;
  /** Above the rows, inside the scroller (e.g. a "Load older" button). */
  header?: ComponentChildren;
  /** Called while the viewport is within a screen of the first row. */
  onNearTop?: () => void;
  /** When this changes, the view goes to the bottom and stays pinned there (e.g. after my own send). */
  followKey?: unknown;
  class?: string;
  testId?: string;
};

export function VirtualList<T>({ items, itemKey, renderItem, header, onNearTop, followKey, class: cls, testId }: Props<T>) {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const scroller = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const rows = useRef<HTMLDivElement>(null);
  /** Measured heights by row key; rows not in it count as ESTIMATE_PX. */
  const heights = useRef(new Map<string, number>()).current;
  const anchor = useRef<Anchor>(null);
  const view = useRef({ height: 0, width: 0, listTop: 0 });
  const rendered = useRef<Range>({ start: 0, end: 0 });
  const observer = useRef<ResizeObserver | null>(null);

  const followed = useRef(followKey);
  if (followed.current !== followKey) {
    followed.current = followKey;
    anchor.current = null;
  }

  const keys = useMemo(() => items.map(itemKey), [items]);
  const indexOf = useMemo(() => new Map(keys.map((k, i) => [k, i])), [keys]);
  const offsets = prefixOffsets(keys.length, (i) => heights.get(keys[i]!) ?? ESTIMATE_PX);
  const total = offsets[keys.length]!;
  const screen = view.current.height || 800;

  // Where the viewport's top is in list coordinates, as the anchor says. An anchor row that is
  // gone (a pending send replaced by the stored message) leaves the pixels as they are.
  const pinned = anchor.current === null;
  const at = anchor.current ? indexOf.get(anchor.current.key) : undefined;
  const top = pinned
    ? Math.max(0, total - screen)
    : at !== undefined
      ? offsets[at]! + anchor.current!.delta
      : (scroller.current?.scrollTop ?? 0) - view.current.listTop;
  // One screen of rows beyond each edge, so a scroll of less than that needs no render.
  const range = rangeFor(offsets, top - screen, top + 2 * screen);
  rendered.current = range;
  // What the scroll handler maps pixels with: the geometry of the last render.
  const current = useRef({ offsets, keys });
  current.current = { offsets, keys };

  // After every render: measure, then put the scroll position where the anchor says.
  useLayoutEffect(() => {
    const el = scroller.current;
    const box = rows.current;
    if (!el || !box || !list.current) return;
    let changed = false;
    for (const row of Array.from(box.children) as HTMLElement[]) {
      const key = row.dataset.key ?? '';
      const h = row.getBoundingClientRect().height;
      if (Math.abs((heights.get(key) ?? -1) - h) > 0.5) {
        heights.set(key, h);
        changed = true;
      }
      observer.current?.observe(row);
    }
    const listTop = list.current.offsetTop;
    if (view.current.height !== el.clientHeight || view.current.listTop !== listTop) {
      view.current = { ...view.current, height: el.clientHeight, listTop };
      changed = true;
    }
    // The geometry moved: render again with it (before paint) and position then.
    if (changed) {
      rerender(0);
      return;
    }
    if (pinned) {
      el.scrollTop = el.scrollHeight;
    } else if (at === undefined) {
      onScroll();
    } else {
      const want = listTop + top;
      if (Math.abs(el.scrollTop - want) >= 1) el.scrollTop = want;
    }
    if (top < screen) onNearTop?.();
  });

  // Rows that change size later (a status line, a font, another width) are measured again.
  useLayoutEffect(() => {
    const el = scroller.current!;
    const ro = new ResizeObserver((entries) => {
      let changed = false;
      for (const e of entries) {
        const target = e.target as HTMLElement;
        if (target === el) {
          if (view.current.width !== el.clientWidth) {
            // A new width wraps text differently: every remembered height is stale.
            if (view.current.width !== 0) heights.clear();
            view.current = { ...view.current, width: el.clientWidth };
            changed = true;
          }
          if (view.current.height !== el.clientHeight) changed = true;
          continue;
        }
        if (!target.isConnected) {
          ro.unobserve(target);
          continue;
        }
        const key = target.dataset.key ?? '';
        const h = target.getBoundingClientRect().height;
        if (Math.abs((heights.get(key) ?? -1) - h) > 0.5) {
          heights.set(key, h);
          changed = true;
        }
      }
      if (changed) rerender(0);
    });
    ro.observe(el);
    observer.current = ro;
    return () => ro.disconnect();
  }, []);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const { offsets: o, keys: k } = current.current;
    const y = el.scrollTop - view.current.listTop;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX) {
      anchor.current = null;
    } else {
      const i = indexAt(o, y);
      anchor.current = k[i] === undefined ? null : { key: k[i]!, delta: y - o[i]! };
    }
    // Render only when the viewport (plus half a screen) leaves the rendered rows.
    const h = el.clientHeight;
    if (!covers(o, rendered.current, y - h / 2, y + 1.5 * h)) rerender(0);
    if (y < h) onNearTop?.();
  }

  return (
    <div class={cls} ref={scroller} onScroll={onScroll} data-testid={testId} data-rows={keys.length}>
      {header}
      <div class="vlist" ref={list} style={{ height: `${total}px` }}>
        <div class="vrows" ref={rows} style={{ transform: `translateY(${offsets[range.start]!}px)` }}>
          {keys.slice(range.start, range.end).map((key, i) => (
            <div class="vrow" key={key} data-key={key}>
              {renderItem(items[range.start + i]!)}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
