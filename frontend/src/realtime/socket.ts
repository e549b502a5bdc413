/**
 * The one WebSocket of the app: authentication by first frame, resume after every
 * reconnect, backoff with jitter, an outbox of sends matched by client_msg_id, and
 * per-room event_seq bookkeeping so no room event is applied twice or skipped.
 *
 * It knows nothing about React or Redux: the store wires `onFrame` / `onStatus`.
 */
import { CLOSE, isRoomEvent, type ClientFrame, type SendFrame, type ServerFrame } from './protocol';

export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'stopped';

export type SocketDeps = {
  url: () => string;
  /** A valid access token, or null when signed out. May refresh. */
  getToken: () => Promise<string | null>;
  /** Called when the server says the token is bad (4001): refresh, true if it worked. */
  onAuthFailed: () => Promise<boolean>;
  /** Called when the session is over (4003) or cannot be refreshed. */
  onSessionEnded: () => void;
  onFrame: (frame: ServerFrame) => void;
  onStatus: (status: ConnectionStatus, detail?: { retryInMs?: number; attempt?: number }) => void;
  /** A room event arrived out of order beyond repair, or resync_required: reload that room. */
  onResync: (roomId: number) => void;
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
  /** Client heartbeat: a ping every `pingMs`; no frame for `deadMs` means the link is dead. */
  pingMs?: number;
  deadMs?: number;
};

export type OutboxEntry = { frame: SendFrame; sentOn: number | null };

/** Full-jitter exponential backoff, capped: a random delay in [base/2, min(cap, base*2^n)]. */
export function backoffDelay(attempt: number, random: () => number, baseMs = 500, capMs = 15_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 10));
  return Math.round(Math.min(ceiling, baseMs / 2 + random() * ceiling));
}

export class ParleySocket {
  private ws: WebSocket | null = null;
  private status: ConnectionStatus = 'stopped';
  private attempt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private deadTimer: unknown = null;
  private connectionId = 0;
  private readyOn = 0;
  private stopped = true;
  /** room id → last event_seq applied. The resume point. */
  readonly lastEventSeq = new Map<number, number>();
  /** client_msg_id → pending send, in insertion order (Map keeps it). */
  readonly outbox = new Map<string, OutboxEntry>();
  private readonly deps: Required<Pick<SocketDeps, 'random' | 'setTimeout' | 'clearTimeout' | 'pingMs' | 'deadMs'>> &
    SocketDeps;

  constructor(deps: SocketDeps) {
    this.deps = {
      random: Math.random,
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
      pingMs: 20_000,
      deadMs: 45_000,
      ...deps,
    };
  }

  get connectionStatus() {
    return this.status;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** Close for good (sign-out). Forgets resume points and the outbox. */
  stop() {
    this.stopped = true;
    this.clearTimers();
    this.closeSocket(CLOSE.NORMAL);
    this.lastEventSeq.clear();
    this.outbox.clear();
    this.setStatus('stopped');
  }

  /** The browser says the network is gone: don't wait for timeouts. */
  goOffline() {
    if (this.stopped) return;
    this.connectionId += 1; // abandon a connection attempt in progress
    this.clearTimers();
    this.closeSocket(CLOSE.NORMAL);
    this.setStatus('offline');
  }

  /** The network is back (or the user asked): reconnect now. */
  reconnectNow() {
    if (this.stopped) return;
    this.clearTimers();
    this.attempt = 0;
    if (this.ws && this.status === 'online') return;
    this.closeSocket(CLOSE.NORMAL);
    this.open();
  }

  /** Queue a send; it goes out now if connected, else after the next `ready`. */
  send(frame: SendFrame) {
    this.outbox.set(frame.client_msg_id, { frame, sentOn: null });
    if (this.status === 'online') this.flushOutbox();
  }

  /** Give up on a queued send (the user discarded it). */
  cancel(clientMsgId: string) {
    this.outbox.delete(clientMsgId);
  }

  /** Ephemeral frames (typing, read): dropped when not connected. */
  sendEphemeral(frame: ClientFrame): boolean {
    if (this.status !== 'online' || !this.ws) return false;
    this.raw(frame);
    return true;
  }

  /**
   * Start tracking a room whose state was just loaded over REST up to `eventSeq`
   * (events at or below it are already reflected). Never moves a known position back.
   */
  trackRoom(roomId: number, eventSeq: number) {
    const known = this.lastEventSeq.get(roomId);
    if (known === undefined || eventSeq > known) this.lastEventSeq.set(roomId, eventSeq);
  }

  forgetRoom(roomId: number) {
    this.lastEventSeq.delete(roomId);
  }

  private setStatus(s: ConnectionStatus, detail?: { retryInMs?: number; attempt?: number }) {
    this.status = s;
    this.deps.onStatus(s, detail);
  }

  private raw(frame: ClientFrame) {
    try {
      this.ws?.send(JSON.stringify(frame));
    } catch {
      /* closing; the outbox keeps sends */
    }
  }

  private closeSocket(code: number) {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code);
    } catch {
      /* already closed */
    }
  }

  private clearTimers() {
    for (const t of [this.retryTimer, this.pingTimer, this.deadTimer]) if (t !== null) this.deps.clearTimeout(t);
    this.retryTimer = this.pingTimer = this.deadTimer = null;
  }

  private async open() {
    const id = ++this.connectionId;
    this.setStatus(this.attempt === 0 && this.readyOn === 0 ? 'connecting' : 'reconnecting');
    let token: string | null;
    try {
      token = await this.deps.getToken();
    } catch {
      // Refresh failed for a network reason: retry later.
      if (id === this.connectionId) this.scheduleRetry();
      return;
    }
    if (this.stopped || id !== this.connectionId) return;
    if (!token) {
      this.deps.onSessionEnded();
      return;
    }
    const Impl = this.deps.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(this.deps.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const resume: Record<string, number> = {};
      for (const [room, seq] of this.lastEventSeq) resume[String(room)] = seq;
      this.raw({ type: 'auth', token: token as string, ...(this.lastEventSeq.size ? { resume } : {}) });
      this.armDeadTimer();
    };
    ws.onmessage = (e) => {
      if (id !== this.connectionId) return;
      this.armDeadTimer();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(e.data)) as ServerFrame;
      } catch {
        return;
      }
      this.handle(frame);
    };
    ws.onclose = (e) => {
      if (id !== this.connectionId) return;
      this.ws = null;
      this.onClosed(e.code);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private armDeadTimer() {
    if (this.deadTimer !== null) this.deps.clearTimeout(this.deadTimer);
    this.deadTimer = this.deps.setTimeout(() => {
      // Nothing heard for too long: the link is dead even if the browser has not noticed.
      this.deadTimer = null;
      const ws = this.ws;
      this.closeSocket(CLOSE.NORMAL);
      if (ws) this.onClosed(1006);
    }, this.deps.deadMs);
  }

  private schedulePing() {
    if (this.pingTimer !== null) this.deps.clearTimeout(this.pingTimer);
    this.pingTimer = this.deps.setTimeout(() => {
      this.pingTimer = null;
      if (this.status === 'online') {
        this.raw({ type: 'ping' });
        this.schedulePing();
      }
    }, this.deps.pingMs);
  }

  private async onClosed(code: number) {
    this.clearTimers();
    if (this.stopped) return;
    if (code === CLOSE.SESSION_ENDED) {
      this.deps.onSessionEnded();
      return;
    }
    if (code === CLOSE.AUTH_FAILED) {
      // Refresh and retry; a network failure while refreshing is retried later, only a
      // refused refresh token ends the session.
      const ok = await this.deps.onAuthFailed().catch(() => 'retry' as const);
      if (ok === false) {
        this.deps.onSessionEnded();
        return;
      }
    }
    if (code === CLOSE.TOO_SLOW) this.attempt = 0; // resume at once
    if (code === CLOSE.RATE_LIMITED || code === CLOSE.POLICY) this.attempt = Math.max(this.attempt, 4);
    this.scheduleRetry();
  }

  private scheduleRetry() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.deps.random);
    this.attempt += 1;
    this.setStatus('reconnecting', { retryInMs: delay, attempt: this.attempt });
    if (this.retryTimer !== null) this.deps.clearTimeout(this.retryTimer);
    this.retryTimer = this.deps.setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private flushOutbox() {
    for (const entry of this.outbox.values()) {
      if (entry.sentOn === this.connectionId) continue;
      entry.sentOn = this.connectionId;
      this.raw(entry.frame);
    }
  }

  /** Exposed for tests: process one server frame. */
  handle(frame: ServerFrame) {
    if (frame.type === 'ready') {
      this.attempt = 0;
      this.readyOn = this.connectionId;
      // Rooms we have never tracked start from the server's current position: their
      // state comes from REST when they are opened.
      for (const r of frame.rooms ?? []) if (!this.lastEventSeq.has(r.room_id)) this.lastEventSeq.set(r.room_id, r.last_event_seq);
      this.setStatus('online');
      this.deps.onFrame(frame);
      this.flushOutbox();
      this.schedulePing();
      return;
    }
    if (frame.type === 'message.ack') {
      if (frame.client_msg_id) this.outbox.delete(frame.client_msg_id);
      this.deps.onFrame(frame);
      return;
    }
    if (frame.type === 'error' && frame.client_msg_id) {
      // A send the server refused for good (validation, permission): drop it. Rate limits
      // are retried after the next reconnect.
      if (frame.code !== 'rate_limited') this.outbox.delete(frame.client_msg_id);
      else {
        const e = this.outbox.get(frame.client_msg_id);
        if (e) e.sentOn = null;
      }
      this.deps.onFrame(frame);
      return;
    }
    if (frame.type === 'resync_required') {
      this.lastEventSeq.delete(frame.room_id);
      this.deps.onResync(frame.room_id);
      this.deps.onFrame(frame);
      return;
    }
    if (isRoomEvent(frame)) {
      const last = this.lastEventSeq.get(frame.room_id);
      if (last !== undefined && frame.event_seq <= last) return; // duplicate (replay overlap)
      if (last !== undefined && frame.event_seq > last + 1) {
        // A hole: never apply past it. Reconnect and let the server replay from `last`.
        const ws = this.ws;
        this.closeSocket(CLOSE.NORMAL);
        if (ws) this.onClosed(1006);
        return;
      }
      this.lastEventSeq.set(frame.room_id, frame.event_seq);
      if (frame.type === 'message.created' && frame.message.client_msg_id && this.isMe(frame.message.author.id)) {
        // Our own send seen from another path (REST retry, another tab): it is stored.
        this.outbox.delete(frame.message.client_msg_id);
      }
      this.deps.onFrame(frame);
      if (frame.type === 'room.deleted' || (frame.type === 'member.left' && this.isMe(frame.user_id))) {
        this.lastEventSeq.delete(frame.room_id);
      }
      return;
    }
    this.deps.onFrame(frame);
  }

  private me: number | null = null;
  setMe(userId: number | null) {
    this.me = userId;
  }
  private isMe(userId: number) {
    return this.me === userId;
  }
}
