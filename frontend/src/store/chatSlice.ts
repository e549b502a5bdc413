/**
 * Message windows per room, optimistic sends, and the ephemeral room state the socket
 * feeds (typing, read positions, presence).
 *
 * Messages are keyed by `seq`, so applying the same message twice (a replay overlapping
 * a REST page, an ack racing its own `message.created`) can never show it twice.
 */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { Message, Reaction } from '../api/generated';

export type RoomWindow = {
  bySeq: Record<number, Message>;
  /** Ascending, unique. */
  seqs: number[];
  hasOlder: boolean;
  /** The window stops before the newest message (opened `around` an old one). */
  hasNewer: boolean;
  status: 'loading' | 'ready' | 'error';
  /** Bumped when the room is reloaded from scratch (resync). */
  generation: number;
};

export type PendingMessage = {
  clientMsgId: string;
  roomId: number;
  body: string;
  parentSeq: number | null;
  createdAt: string;
  status: 'sending' | 'failed';
  error?: string;
};

export type ChatState = {
  rooms: Record<number, RoomWindow>;
  pending: Record<string, PendingMessage>;
  /** room → user → ms timestamp when the indicator expires. */
  typing: Record<number, Record<number, number>>;
  /** room → user → last read seq. */
  reads: Record<number, Record<number, number>>;
  presence: Record<number, boolean>;
};

const initialState: ChatState = { rooms: {}, pending: {}, typing: {}, reads: {}, presence: {} };

export const TYPING_TTL_MS = 6000;

/**
 * Most messages kept per room window. Paging further drops the far end (and marks that
 * side as "more to load"), so the DOM stays bounded however far one scrolls.
 */
export const MAX_WINDOW = 400;

function trim(win: RoomWindow, side: 'start' | 'end') {
  const extra = win.seqs.length - MAX_WINDOW;
  if (extra <= 0) return;
  const dropped = side === 'end' ? win.seqs.splice(MAX_WINDOW) : win.seqs.splice(0, extra);
  for (const s of dropped) delete win.bySeq[s];
  if (side === 'end') win.hasNewer = true;
  else win.hasOlder = true;
}

function emptyWindow(generation = 0): RoomWindow {
  return { bySeq: {}, seqs: [], hasOlder: false, hasNewer: false, status: 'loading', generation };
}

/** Of two versions of one message, the later one (deletes and edits only move forward). */
export function newerVersion(a: Message, b: Message): Message {
  if (a.deleted !== b.deleted) return a.deleted ? a : b;
  const ea = a.edited_at ? Date.parse(a.edited_at) : 0;
  const eb = b.edited_at ? Date.parse(b.edited_at) : 0;
  if (ea !== eb) return ea > eb ? a : b;
  const la = a.last_reply_at ? Date.parse(a.last_reply_at) : 0;
  const lb = b.last_reply_at ? Date.parse(b.last_reply_at) : 0;
  if (la !== lb) return la > lb ? a : b;
  return b;
}

function insertSeq(seqs: number[], seq: number) {
  // Usually appends; binary search otherwise.
  if (seqs.length === 0 || seqs[seqs.length - 1] < seq) {
    seqs.push(seq);
    return;
  }
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqs[mid] < seq) lo = mid + 1;
    else hi = mid;
  }
  if (seqs[lo] !== seq) seqs.splice(lo, 0, seq);
}

function put(win: RoomWindow, m: Message) {
  const existing = win.bySeq[m.seq];
  if (existing) {
    win.bySeq[m.seq] = newerVersion(existing, m);
  } else {
    win.bySeq[m.seq] = m;
    insertSeq(win.seqs, m.seq);
  }
}

/** Whether a live message belongs in the window (contiguous with what is loaded). */
function acceptsLive(win: RoomWindow, seq: number) {
  if (win.bySeq[seq]) return true;
  return !win.hasNewer;
}

function bumpReaction(reactions: Reaction[], emoji: string, delta: 1 | -1, mine: boolean): Reaction[] {
  const out = reactions.map((r) => ({ ...r }));
  const r = out.find((x) => x.emoji === emoji);
  if (r) {
    r.count += delta;
    if (mine) r.me = delta > 0;
    return out.filter((x) => x.count > 0);
  }
  if (delta > 0) out.push({ emoji, count: 1, me: mine });
  return out;
}

const chatSlice = createSlice({
  name: 'chat',
  initialState,
  reducers: {
    roomLoading(state, a: PayloadAction<{ roomId: number; reset?: boolean }>) {
      const cur = state.rooms[a.payload.roomId];
      if (!cur || a.payload.reset) state.rooms[a.payload.roomId] = emptyWindow((cur?.generation ?? 0) + (cur ? 1 : 0));
      else cur.status = 'loading';
    },
    roomLoadFailed(state, a: PayloadAction<{ roomId: number }>) {
      const cur = state.rooms[a.payload.roomId];
      if (cur) cur.status = 'error';
    },
    /**
     * A REST page. `latest`/`around` replace the window's bounds, `before` extends it
     * upward, `after` downward.
     */
    pageLoaded(
      state,
      a: PayloadAction<{
        roomId: number;
        mode: 'latest' | 'before' | 'after' | 'around';
        items: Message[];
        hasOlder: boolean;
        hasNewer: boolean;
      }>,
    ) {
      const { roomId, mode, items } = a.payload;
      let win = state.rooms[roomId];
      if (!win) win = state.rooms[roomId] = emptyWindow();
      if (mode === 'around' || (mode === 'latest' && win.hasNewer)) {
        // A new, possibly disjoint window: start over so no gap is ever shown.
        win.bySeq = {};
        win.seqs = [];
      }
      for (const m of items) put(win, m);
      if (mode === 'latest' || mode === 'around') {
        win.hasOlder = a.payload.hasOlder;
        win.hasNewer = mode === 'latest' ? false : a.payload.hasNewer;
      } else if (mode === 'before') {
        win.hasOlder = a.payload.hasOlder;
        trim(win, 'end');
      } else {
        win.hasNewer = a.payload.hasNewer;
        trim(win, 'start');
      }
      win.status = 'ready';
    },
    messageUpserted(state, a: PayloadAction<{ message: Message; live: boolean }>) {
      const { message, live } = a.payload;
      const win = state.rooms[message.room_id];
      if (message.client_msg_id) delete state.pending[message.client_msg_id];
      const t = state.typing[message.room_id];
      if (t && live) delete t[message.author.id];
      if (!win) return;
      if (live && !acceptsLive(win, message.seq)) return;
      if (!live && !win.bySeq[message.seq] && !acceptsLive(win, message.seq)) return;
      put(win, message);
    },
    reactionChanged(
      state,
      a: PayloadAction<{ roomId: number; seq: number; emoji: string; added: boolean; mine: boolean }>,
    ) {
      const m = state.rooms[a.payload.roomId]?.bySeq[a.payload.seq];
      if (!m) return;
      m.reactions = bumpReaction(m.reactions ?? [], a.payload.emoji, a.payload.added ? 1 : -1, a.payload.mine);
    },
    roomDropped(state, a: PayloadAction<{ roomId: number }>) {
      delete state.rooms[a.payload.roomId];
      delete state.typing[a.payload.roomId];
      delete state.reads[a.payload.roomId];
    },
    sendQueued(state, a: PayloadAction<Omit<PendingMessage, 'status'>>) {
      state.pending[a.payload.clientMsgId] = { ...a.payload, status: 'sending' };
    },
    sendFailed(state, a: PayloadAction<{ clientMsgId: string; error: string }>) {
      const p = state.pending[a.payload.clientMsgId];
      if (p) {
        p.status = 'failed';
        p.error = a.payload.error;
      }
    },
    sendRetried(state, a: PayloadAction<{ clientMsgId: string }>) {
      const p = state.pending[a.payload.clientMsgId];
      if (p) {
        p.status = 'sending';
        delete p.error;
      }
    },
    sendDiscarded(state, a: PayloadAction<{ clientMsgId: string }>) {
      delete state.pending[a.payload.clientMsgId];
    },
    typingSeen(state, a: PayloadAction<{ roomId: number; userId: number; now: number }>) {
      (state.typing[a.payload.roomId] ??= {})[a.payload.userId] = a.payload.now + TYPING_TTL_MS;
    },
    typingStopped(state, a: PayloadAction<{ roomId: number; userId: number }>) {
      const t = state.typing[a.payload.roomId];
      if (t) delete t[a.payload.userId];
    },
    readsLoaded(state, a: PayloadAction<{ roomId: number; reads: { user_id: number; last_read_seq: number }[] }>) {
      const r = (state.reads[a.payload.roomId] ??= {});
      for (const x of a.payload.reads) r[x.user_id] = Math.max(r[x.user_id] ?? 0, x.last_read_seq);
    },
    readSeen(state, a: PayloadAction<{ roomId: number; userId: number; seq: number }>) {
      const r = (state.reads[a.payload.roomId] ??= {});
      r[a.payload.userId] = Math.max(r[a.payload.userId] ?? 0, a.payload.seq);
    },
    presenceSeen(state, a: PayloadAction<{ userId: number; online: boolean }>) {
      state.presence[a.payload.userId] = a.payload.online;
    },
    presenceLoaded(state, a: PayloadAction<{ userId: number; online: boolean }[]>) {
      for (const p of a.payload) state.presence[p.userId] = p.online;
    },
    chatReset() {
      return initialState;
    },
  },
});

export const chatActions = chatSlice.actions;
export default chatSlice.reducer;
