// The chat state itself, shared by the modules that change it (chat, reads, sends): signals
// the views render, and how frames leave.
import { signal } from '@preact/signals';
import type { ChatMessage, Conversation } from '../api/types';
import type { Outbox } from '../logic/outbox';
import { emptyTimeline, type Timeline } from '../logic/timeline';
import type { ClientFrame } from '../ws/frames';
import { session } from './session';
import { ensureUsers } from './users';

export const conversations = signal<readonly Conversation[]>([]);
export const timelines = signal<Readonly<Record<string, Timeline>>>({});
export const outbox = signal<Outbox>([]);
/** The peer's read cursor per 1:1 conversation (my messages up to it show "read"). */
export const peerRead = signal<Readonly<Record<string, number>>>({});
/** The conversation on screen, or null. */
export const openId = signal<string | null>(null);

/** How frames leave; set by the connection wiring (returns false while offline). */
let transmitter: (frame: ClientFrame) => boolean = () => false;
export function setTransmit(fn: (frame: ClientFrame) => boolean): void {
  transmitter = fn;
}
export function transmit(frame: ClientFrame): boolean {
  return transmitter(frame);
}

export const me = (): number => session.value?.userId ?? 0;

/** The conversation is on screen and the page visible: new messages there are read at once. */
export function viewing(conversationId: string): boolean {
  return openId.value === conversationId && typeof document !== 'undefined' && document.visibilityState === 'visible';
}

export function timeline(id: string): Timeline {
  return timelines.value[id] ?? emptyTimeline;
}

export function setTimeline(id: string, t: Timeline): void {
  if (timelines.value[id] !== t) timelines.value = { ...timelines.value, [id]: t };
}

export function noteSenders(list: readonly ChatMessage[]): void {
  ensureUsers(list.map((m) => m.sender_id));
}

export function resetStore(): void {
  conversations.value = [];
  timelines.value = {};
  outbox.value = [];
  peerRead.value = {};
  openId.value = null;
}
