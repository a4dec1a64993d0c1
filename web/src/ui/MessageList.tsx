import { Component } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import type { ChatMessage } from '../api/types';
import { t } from '../i18n';
import { storedStatus, type Pending } from '../logic/outbox';
import { emptyTimeline, isRecallEvent } from '../logic/timeline';
import { report } from '../state/app';
import * as chat from '../state/chat';
import { selection, toggleSelected } from '../state/messageActions';
import { session } from '../state/session';
import { uploads, type PendingUpload } from '../state/uploads';
import { MessageBubble } from './MessageBubble';
import { UploadBubble } from './UploadBubble';
import { VirtualList } from './VirtualList';

/** A row of the list: a stored message, one of my sends still in the outbox, or an upload of
 * mine on its way (its send follows once the file is stored). */
type Row = { stored: ChatMessage } | { pending: Pending } | { upload: PendingUpload };

const rowKey = (r: Row): string => ('stored' in r ? `s${r.stored.seq}` : 'pending' in r ? r.pending.client_msg_id : `u${r.upload.key}`);

type RowProps = {
  stored?: ChatMessage;
  pending?: Pending;
  upload?: PendingUpload;
  me: number;
  isGroup: boolean;
  peerRead: number;
  /** In a group: how many members read each of my messages, by seq. */
  readBy: Readonly<Record<number, number>> | undefined;
  chosen: ReadonlySet<number> | null;
};

function rowProps(row: Row): Pick<RowProps, 'stored' | 'pending' | 'upload'> {
  return 'stored' in row ? { stored: row.stored } : 'pending' in row ? { pending: row.pending } : { upload: row.upload };
}

/**
 * Skips rows whose props did not change (scrolling renders the list again; a row's message
 * object only changes when the message does). A class rather than preact/compat's memo, which
 * would add compat to the bundle for one function.
 */
class MessageRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const prev = this.props;
    return (
      next.stored !== prev.stored ||
      next.pending !== prev.pending ||
      next.upload !== prev.upload ||
      next.me !== prev.me ||
      next.isGroup !== prev.isGroup ||
      next.peerRead !== prev.peerRead ||
      (!!next.stored && next.readBy?.[next.stored.seq] !== prev.readBy?.[next.stored.seq]) ||
      // Choosing: only the rows whose mark changed (or all, when choosing starts or ends).
      !next.chosen !== !prev.chosen ||
      (!!next.stored && !!next.chosen && next.chosen.has(next.stored.seq) !== prev.chosen?.has(next.stored.seq))
    );
  }

  override render() {
    return renderRow(this.props);
  }
}

function renderRow({ stored, pending, upload, me, isGroup, peerRead, readBy, chosen }: RowProps) {
  if (upload) return <UploadBubble upload={upload} />;
  if (pending) {
    const p = pending;
    return (
      <MessageBubble
        mine
        senderId={me}
        showSender={false}
        content={p.content}
        timeMs={p.created_ms}
        status={p.state}
        onRetry={p.state === 'failed' ? () => chat.retry(p.client_msg_id) : undefined}
      />
    );
  }
  const m = stored!;
  const mine = m.sender_id === me;
  return (
    <MessageBubble
      mine={mine}
      senderId={m.sender_id}
      showSender={isGroup}
      content={m.content}
      timeMs={m.server_time_ms}
      seq={m.seq}
      status={!mine ? undefined : isGroup ? 'sent' : storedStatus(m.seq, peerRead)}
      readBy={mine && isGroup ? (readBy?.[m.seq] ?? 0) : undefined}
      selected={chosen?.has(m.seq)}
      onSelect={chosen ? () => toggleSelected(m.seq) : undefined}
    />
  );
}

/** One conversation's messages, virtualised (only the rows near the viewport are in the DOM). */
export function MessageList({ id }: { id: string }) {
  // A new list per conversation: remembered row heights and the scroll anchor belong to it.
  return <Messages key={id} id={id} />;
}

function Messages({ id }: { id: string }) {
  const me = session.value?.userId ?? 0;
  const timeline = chat.timelines.value[id] ?? emptyTimeline;
  const outbox = chat.outbox.value;
  const peerRead = chat.peerRead.value[id] ?? 0;
  const isGroup = id.startsWith('g:');
  const chosen = selection.value?.id === id ? selection.value.seqs : null;
  const readBy = chat.groupReads.value[id];
  const loading = useRef(false);
  const allUploads = uploads.value;
  const mine = useMemo(() => allUploads.filter((u) => u.conversation_id === id), [allUploads, id]);
  // My own send, or a new upload, brings the view to the bottom, wherever I had scrolled to.
  const follow = `${chat.lastSend.value?.conversationId === id ? chat.lastSend.value.clientMsgId : ''}|${mine.at(-1)?.key ?? ''}`;

  const rows = useMemo<Row[]>(
    () => [
      ...timeline.messages.filter((m) => !isRecallEvent(m)).map((m) => ({ stored: m })),
      ...outbox.filter((p) => p.conversation_id === id).map((p) => ({ pending: p })),
      ...mine.map((u) => ({ upload: u })),
    ],
    [timeline.messages, outbox, mine, id],
  );

  function older() {
    if (loading.current || !chat.timelines.value[id]?.hasOlder) return;
    loading.current = true;
    chat
      .loadOlder(id)
      .catch(report)
      .finally(() => (loading.current = false));
  }

  return (
    <VirtualList
      class="messages"
      testId="message-list"
      items={rows}
      itemKey={rowKey}
      onNearTop={older}
      followKey={follow}
      renderItem={(row) => <MessageRow {...rowProps(row)} me={me} isGroup={isGroup} peerRead={peerRead} readBy={readBy} chosen={chosen} />}
      header={
        timeline.hasOlder && (
          <button type="button" class="link older" data-testid="load-older" onClick={older}>
            {t('loadOlder')}
          </button>
        )
      }
    />
  );
}
