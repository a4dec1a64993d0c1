// One WebSocket to /ws/{uid} on the page's own origin, kept up: heartbeat pings at the
// interval `hello` names, reconnects with backoff and jitter, and stops for good on a kick.
import { backoffDelay } from '../logic/backoff';
import { CLOSE_KICKED, PROTOCOL, parseFrame, tokenProtocol, type ClientFrame, type HelloFrame, type ServerFrame } from './frames';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'stopped';

export type ConnectionEvents = {
  onState(state: ConnectionState): void;
  /** The session is live (the server recorded us online): resync now, not before. */
  onHello(hello: HelloFrame): void;
  onFrame(frame: ServerFrame): void;
  /** Close 4002: the login ended; sign in again rather than reconnect. */
  onKicked(reason: string): void;
  /** A connection closed before `hello`: maybe the token is no longer valid. */
  onRefused(): void;
};

export function socketUrl(location: Pick<Location, 'protocol' | 'host'>, userId: number): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/${userId}`;
}

export class Connection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private kickReason = '';

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly events: ConnectionEvents,
  ) {}

  start(): void {
    this.stopped = false;
    this.open('connecting');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.socket?.close(1000);
    this.socket = null;
    this.events.onState('stopped');
  }

  /** True when the frame went out; false when offline (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN || !this.live) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Whether `hello` came on the current socket. */
  live = false;

  private open(state: ConnectionState): void {
    this.events.onState(state);
    this.live = false;
    const socket = new WebSocket(this.url, [PROTOCOL, tokenProtocol(this.token)]);
    this.socket = socket;
    socket.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const frame = parseFrame(ev.data);
      if (frame) this.receive(frame);
    };
    socket.onclose = (ev) => this.closed(socket, ev.code);
    // An error is always followed by close; the close decides what happens next.
  }

  private receive(frame: ServerFrame): void {
    if (frame.type === 'hello') {
      this.attempt = 0;
      this.live = true;
      clearInterval(this.heartbeat);
      const every = Math.max(5, frame.heartbeat_s) * 1000;
      this.heartbeat = setInterval(() => this.send({ type: 'ping' }), every);
      this.events.onState('online');
      this.events.onHello(frame);
      return;
    }
    if (frame.type === 'kicked') this.kickReason = frame.reason;
    this.events.onFrame(frame);
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    clearInterval(this.heartbeat);
    const wasLive = this.live;
    this.live = false;
    this.socket = null;
    if (this.stopped) return;
    if (code === CLOSE_KICKED) {
      this.stopped = true;
      this.events.onState('stopped');
      this.events.onKicked(this.kickReason);
      return;
    }
    if (!wasLive) this.events.onRefused();
    const delay = backoffDelay(this.attempt++);
    this.events.onState('reconnecting');
    this.retry = setTimeout(() => {
      if (!this.stopped) this.open('reconnecting');
    }, delay);
  }
}
