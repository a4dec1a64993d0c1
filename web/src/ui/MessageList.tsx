import { useLayoutEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';
import { storedStatus } from '../logic/outbox';
import { emptyTimeline, isRecallEvent } from '../logic/timeline';
import { report } from '../state/app';
import * as chat from '../state/chat';
import { session } from '../state/session';
import { MessageBubble } from './MessageBubble';

/** Near the bottom, new messages keep the view pinned there; further up, the reader stays put. */
const STICK_PX = 80;

export function MessageList({ id }: { id: string }) {
  const me = session.value?.userId ?? 0;
  const timeline = chat.timelines.value[id] ?? emptyTimeline;
  const pending = chat.outbox.value.filter((p) => p.conversation_id === id);
  const peerRead = chat.peerRead.value[id] ?? 0;
  const isGroup = id.startsWith('g:');
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const loadingOlder = useRef<{ height: number } | null>(null);

  // Keep the reader's place when an older page lands on top, and follow new messages at the bottom.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (loadingOlder.current) {
      el.scrollTop += el.scrollHeight - loadingOlder.current.height;
      loadingOlder.current = null;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [timeline, pending.length]);

  useLayoutEffect(() => {
    pinned.current = true;
  }, [id]);

  function older() {
    const el = box.current;
    if (!el || loadingOlder.current || !timeline.hasOlder) return;
    loadingOlder.current = { height: el.scrollHeight };
    chat.loadOlder(id).catch((e) => {
      loadingOlder.current = null;
      report(e);
    });
  }

  function onScroll() {
    const el = box.current;
    if (!el) return;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (el.scrollTop < 40) older();
  }

  const visible = timeline.messages.filter((m) => !isRecallEvent(m));
  return (
    <div class="messages" ref={box} onScroll={onScroll} data-testid="message-list" aria-live="polite">
      {timeline.hasOlder && (
        <button type="button" class="link older" data-testid="load-older" onClick={older}>
          {t('loadOlder')}
        </button>
      )}
      {visible.map((m) => (
        <MessageBubble
          key={`s${m.seq}`}
          mine={m.sender_id === me}
          senderId={m.sender_id}
          showSender={isGroup}
          content={m.content}
          timeMs={m.server_time_ms}
          seq={m.seq}
          status={m.sender_id !== me ? undefined : isGroup ? 'sent' : storedStatus(m.seq, peerRead)}
        />
      ))}
      {pending.map((p) => (
        <MessageBubble
          key={p.client_msg_id}
          mine
          senderId={me}
          showSender={false}
          content={p.content}
          timeMs={p.created_ms}
          status={p.state}
          onRetry={p.state === 'failed' ? () => chat.retry(p.client_msg_id) : undefined}
        />
      ))}
    </div>
  );
}
