/**
 * Wires the one ParleySocket to the store: frames become actions, sends become
 * optimistic pending messages.
 */
import { parleyApi } from '../api/generated';
import { freshAccessToken, getAuth, refreshAuth, setAuth } from '../auth/tokens';
import type { AppDispatch, AppStore, RootState } from '../store';
import { chatActions, type PendingMessage } from '../store/chatSlice';
import { roomsActions } from '../store/roomsSlice';
import { sessionActions } from '../store/sessionSlice';
import { loadLatest, loadReads } from '../store/thunks';
import { newClientMsgId } from '../lib/ids';
import { notifyDesktop } from '../lib/desktopNotify';
import { ParleySocket } from './socket';
import type { ServerFrame } from './protocol';

let socket: ParleySocket | null = null;
let unsubscribeOutbox: (() => void) | null = null;

/**
 * Unsent messages survive a reload: they are kept in localStorage per user and sent
 * again at start. The server deduplicates by client_msg_id, so a message that did get
 * through before the reload is not posted twice.
 */
const outboxKey = (userId: number) => `parley.outbox.${userId}`;

export function restoreOutbox(s: AppStore, sock: Pick<ParleySocket, 'send'>, userId: number) {
  let saved: PendingMessage[];
  try {
    saved = JSON.parse(localStorage.getItem(outboxKey(userId)) ?? '[]') as PendingMessage[];
  } catch {
    saved = [];
  }
  for (const p of saved) {
    if (p.status !== 'sending') continue;
    s.dispatch(chatActions.sendQueued({ clientMsgId: p.clientMsgId, roomId: p.roomId, body: p.body, parentSeq: p.parentSeq, createdAt: p.createdAt }));
    sock.send({
      type: 'message.send',
      room_id: p.roomId,
      body: p.body,
      client_msg_id: p.clientMsgId,
      ...(p.parentSeq ? { parent_seq: p.parentSeq } : {}),
    });
  }
  let last = s.getState().chat.pending;
  return s.subscribe(() => {
    const pending = s.getState().chat.pending;
    if (pending === last) return;
    last = pending;
    try {
      const list = Object.values(pending).filter((p) => p.status === 'sending');
      if (list.length) localStorage.setItem(outboxKey(userId), JSON.stringify(list));
      else localStorage.removeItem(outboxKey(userId));
    } catch {
      /* storage full or unavailable: memory only */
    }
  });
}
let store: AppStore | null = null;
let everReady = false;

function wsUrl() {
  const { protocol, host } = window.location;
  // presence.batch: one frame per room for a burst of presence changes.
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/ws?capabilities=presence.batch`;
}

function isSeen(state: RootState, roomId: number) {
  return (
    state.rooms.activeRoomId === roomId &&
    typeof document !== 'undefined' &&
    document.visibilityState === 'visible'
  );
}

/** Apply one server frame to the store. Exported for tests. */
export function applyFrame(frame: ServerFrame, dispatch: AppDispatch, getState: () => RootState) {
  const me = getState().session.user?.id ?? null;
  switch (frame.type) {
    case 'ready': {
      dispatch(sessionActions.signedIn(frame.user));
      if (everReady) {
        dispatch(sessionActions.reconnected());
        // Ephemeral state (unread counts, presence, reads) may have moved while away.
        dispatch(parleyApi.util.invalidateTags(['rooms', 'members', 'notifications']));
        const active = getState().rooms.activeRoomId;
        if (active) dispatch(loadReads(active)).catch(() => undefined);
      }
      everReady = true;
      break;
    }
    case 'message.ack':
    case 'message.created': {
      const m = frame.message;
      dispatch(chatActions.messageUpserted({ message: m, live: true }));
      dispatch(roomsActions.liveMessage({ message: m, mine: m.author.id === me, seen: isSeen(getState(), m.room_id) }));
      if (m.author.id !== me) dispatch(chatActions.readSeen({ roomId: m.room_id, userId: m.author.id, seq: m.seq }));
      break;
    }
    case 'message.updated':
    case 'message.deleted':
      dispatch(chatActions.messageUpserted({ message: frame.message, live: false }));
      dispatch(roomsActions.liveMessage({ message: frame.message, mine: true, seen: true }));
      break;
    case 'reaction.added':
    case 'reaction.removed':
      dispatch(
        chatActions.reactionChanged({
          roomId: frame.room_id,
          seq: frame.seq,
          emoji: frame.emoji,
          added: frame.type === 'reaction.added',
          mine: frame.user_id === me,
        }),
      );
      break;
    case 'message.pinned':
    case 'message.unpinned':
      dispatch(parleyApi.util.invalidateTags(['messages']));
      break;
    case 'room.updated':
      dispatch(roomsActions.roomUpdated(frame.room));
      dispatch(parleyApi.util.invalidateTags(['rooms']));
      break;
    case 'room.deleted':
      dispatch(roomsActions.roomRemoved(frame.room_id));
      dispatch(chatActions.roomDropped({ roomId: frame.room_id }));
      break;
    case 'member.joined':
      if (frame.user.id === me) dispatch(parleyApi.util.invalidateTags(['rooms']));
      else {
        dispatch(roomsActions.memberCountChanged({ roomId: frame.room_id, delta: 1 }));
        dispatch(parleyApi.util.invalidateTags(['members']));
      }
      break;
    case 'member.updated':
      if (frame.user_id === me) dispatch(roomsActions.roleChanged({ roomId: frame.room_id, role: frame.role }));
      dispatch(parleyApi.util.invalidateTags(['members']));
      break;
    case 'member.left':
      if (frame.user_id === me) {
        dispatch(roomsActions.roomRemoved(frame.room_id));
        dispatch(chatActions.roomDropped({ roomId: frame.room_id }));
      } else {
        dispatch(roomsActions.memberCountChanged({ roomId: frame.room_id, delta: -1 }));
        dispatch(parleyApi.util.invalidateTags(['members']));
      }
      break;
    case 'typing':
      if (frame.user_id !== me) dispatch(chatActions.typingSeen({ roomId: frame.room_id, userId: frame.user_id, now: Date.now() }));
      break;
    case 'typing.stop':
      dispatch(chatActions.typingStopped({ roomId: frame.room_id, userId: frame.user_id }));
      break;
    case 'read':
      dispatch(chatActions.readSeen({ roomId: frame.room_id, userId: frame.user_id, seq: frame.seq }));
      if (frame.user_id === me) dispatch(roomsActions.markedRead({ roomId: frame.room_id, seq: frame.seq }));
      break;
    case 'presence':
      dispatch(chatActions.presenceSeen({ userId: frame.user_id, online: frame.status === 'online' }));
      break;
    case 'presence.batch':
      for (const userId of frame.online) dispatch(chatActions.presenceSeen({ userId, online: true }));
      for (const userId of frame.offline) dispatch(chatActions.presenceSeen({ userId, online: false }));
      break;
    case 'notification':
      dispatch(sessionActions.notificationArrived(frame.notification));
      notifyDesktop(frame.notification);
      dispatch(parleyApi.util.invalidateTags(['notifications']));
      break;
    case 'announcement':
      dispatch(parleyApi.util.invalidateTags(['orgs']));
      break;
    case 'error':
      if (frame.client_msg_id && frame.code !== 'rate_limited')
        dispatch(chatActions.sendFailed({ clientMsgId: frame.client_msg_id, error: frame.message || frame.code }));
      break;
    case 'resync_required':
    case 'pong':
      break;
  }
}

export function startRealtime(s: AppStore) {
  if (socket) return socket;
  store = s;
  everReady = false;
  const sock = new ParleySocket({
    url: wsUrl,
    getToken: () => freshAccessToken(),
    onAuthFailed: async () => !!(await refreshAuth()),
    onSessionEnded: () => setAuth(null),
    onStatus: (status, detail) => s.dispatch(sessionActions.connectionChanged({ status, retryInMs: detail?.retryInMs })),
    onFrame: (frame) => applyFrame(frame, s.dispatch, s.getState),
    onResync: (roomId) => {
      if (s.getState().chat.rooms[roomId]) s.dispatch(loadLatest(roomId, { reset: true })).catch(() => undefined);
      s.dispatch(parleyApi.util.invalidateTags(['rooms']));
    },
  });
  sock.setMe(getAuth()?.user.id ?? null);
  socket = sock;
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  const userId = getAuth()?.user.id;
  if (userId) unsubscribeOutbox = restoreOutbox(s, sock, userId);
  sock.start();
  return sock;
}

function onOffline() {
  socket?.goOffline();
}
function onOnline() {
  socket?.reconnectNow();
}

export function stopRealtime() {
  unsubscribeOutbox?.();
  unsubscribeOutbox = null;
  window.removeEventListener('offline', onOffline);
  window.removeEventListener('online', onOnline);
  socket?.stop();
  socket = null;
  store = null;
}

/** Forget a user's unsent messages (explicit sign-out). */
export function clearOutbox(userId: number) {
  try {
    localStorage.removeItem(outboxKey(userId));
  } catch {
    /* unavailable */
  }
}

export function getSocket() {
  return socket;
}

/** Optimistic send: shown at once as pending, replaced by the real message on ack. */
export function sendChatMessage(roomId: number, body: string, parentSeq: number | null = null) {
  if (!store || !socket) return;
  const clientMsgId = newClientMsgId();
  store.dispatch(
    chatActions.sendQueued({ clientMsgId, roomId, body, parentSeq, createdAt: new Date().toISOString() }),
  );
  socket.send({
    type: 'message.send',
    room_id: roomId,
    body,
    client_msg_id: clientMsgId,
    ...(parentSeq ? { parent_seq: parentSeq } : {}),
  });
}

export function retrySend(clientMsgId: string) {
  const p = store?.getState().chat.pending[clientMsgId];
  if (!p || !socket || !store) return;
  store.dispatch(chatActions.sendRetried({ clientMsgId }));
  socket.send({
    type: 'message.send',
    room_id: p.roomId,
    body: p.body,
    client_msg_id: clientMsgId,
    ...(p.parentSeq ? { parent_seq: p.parentSeq } : {}),
  });
}

export function discardSend(clientMsgId: string) {
  socket?.cancel(clientMsgId);
  store?.dispatch(chatActions.sendDiscarded({ clientMsgId }));
}

export function sendTyping(roomId: number, stop = false) {
  socket?.sendEphemeral({ type: stop ? 'typing.stop' : 'typing', room_id: roomId });
}

export function sendRead(roomId: number, seq: number): boolean {
  return socket?.sendEphemeral({ type: 'read', room_id: roomId, seq }) ?? false;
}
