import { describe, expect, it } from 'vitest';
import { makeStore } from '../store';
import { applyFrame } from './client';
import { sessionActions } from '../store/sessionSlice';
import { roomsActions } from '../store/roomsSlice';
import { chatActions } from '../store/chatSlice';
import type { Message, RoomListItem, User } from '../api/generated';
import { message } from '../test/fixtures';
import type { ServerFrame } from './protocol';

const me: User = { id: 1, username: 'alice', display_name: 'Alice', email: 'a@x', email_verified: true, is_admin: false, bio: '', created_at: '' };

const room = (id: number): RoomListItem => ({
  id,
  title: `room ${id}`,
  description: '',
  kind: 'group',
  visibility: 'public',
  created_by: 1,
  created_at: '2026-11-22T10:00:00Z',
  member_count: 2,
  last_seq: 0,
  last_event_seq: 0,
  archived: false,
  org_id: null,
  unread_count: 0,
  last_message: null,
  membership: { role: 'member', joined_at: '', last_read_seq: 0, cleared_before_seq: 0, notify: null },
});

const msg = (seq: number, author: number, over: Partial<Message> = {}): Message =>
  message(seq, { room_id: 7, author: { id: author, username: `u${author}`, display_name: `U${author}` }, ...over });

function setup() {
  const store = makeStore();
  store.dispatch(sessionActions.signedIn(me));
  store.dispatch(roomsActions.roomUpserted(room(7)));
  store.dispatch(roomsActions.roomUpserted(room(8)));
  store.dispatch(chatActions.pageLoaded({ roomId: 7, mode: 'latest', items: [], hasOlder: false, hasNewer: false }));
  const apply = (f: ServerFrame) => applyFrame(f, store.dispatch, store.getState);
  return { store, apply };
}

describe('applyFrame', () => {
  it('counts unread messages from others in rooms not on screen, never my own', () => {
    const { store, apply } = setup();
    apply({ type: 'message.created', room_id: 7, event_seq: 1, message: msg(1, 2) });
    apply({ type: 'message.created', room_id: 7, event_seq: 2, message: msg(2, 1) });
    apply({ type: 'message.created', room_id: 7, event_seq: 2, message: msg(2, 1) });
    expect(store.getState().rooms.byId[7]!.unread_count).toBe(1);
    expect(store.getState().rooms.byId[7]!.last_message?.seq).toBe(2);
    expect(store.getState().chat.rooms[7]!.seqs).toEqual([1, 2]);
  });

  it('an ack and the broadcast of the same message show it once and clear the pending copy', () => {
    const { store, apply } = setup();
    store.dispatch(chatActions.sendQueued({ clientMsgId: 'c1', roomId: 7, body: 'hi', parentSeq: null, createdAt: '' }));
    const m = msg(1, 1, { client_msg_id: 'c1', body: 'hi' });
    apply({ type: 'message.ack', client_msg_id: 'c1', message: m });
    apply({ type: 'message.created', room_id: 7, event_seq: 1, message: m });
    expect(store.getState().chat.pending).toEqual({});
    expect(store.getState().chat.rooms[7]!.seqs).toEqual([1]);
  });

  it('derives "me" on reactions from the user id', () => {
    const { store, apply } = setup();
    apply({ type: 'message.created', room_id: 7, event_seq: 1, message: msg(1, 2) });
    apply({ type: 'reaction.added', room_id: 7, event_seq: 2, seq: 1, emoji: '🎉', user_id: 1 });
    apply({ type: 'reaction.added', room_id: 7, event_seq: 3, seq: 1, emoji: '🎉', user_id: 2 });
    expect(store.getState().chat.rooms[7]!.bySeq[1]!.reactions).toEqual([{ emoji: '🎉', count: 2, me: true }]);
  });

  it('drops a room I was removed from, keeps it when someone else leaves', () => {
    const { store, apply } = setup();
    apply({ type: 'member.left', room_id: 8, event_seq: 4, user_id: 2, reason: 'left' });
    expect(store.getState().rooms.byId[8]!.member_count).toBe(1);
    apply({ type: 'member.left', room_id: 7, event_seq: 5, user_id: 1, reason: 'kicked' });
    expect(store.getState().rooms.byId[7]).toBeUndefined();
    expect(store.getState().chat.rooms[7]).toBeUndefined();
  });

  it('tracks typing, reads and presence', () => {
    const { store, apply } = setup();
    apply({ type: 'typing', room_id: 7, user_id: 2 });
    apply({ type: 'typing', room_id: 7, user_id: 1 }); // my own echo is ignored
    expect(Object.keys(store.getState().chat.typing[7]!)).toEqual(['2']);
    apply({ type: 'typing.stop', room_id: 7, user_id: 2 });
    expect(store.getState().chat.typing[7]).toEqual({});
    apply({ type: 'read', room_id: 7, user_id: 2, seq: 5 });
    apply({ type: 'read', room_id: 7, user_id: 2, seq: 3 });
    expect(store.getState().chat.reads[7]![2]).toBe(5);
    apply({ type: 'presence', user_id: 2, status: 'online' });
    expect(store.getState().chat.presence[2]).toBe(true);
    apply({ type: 'presence.batch', online: [3, 4], offline: [2] });
    expect(store.getState().chat.presence).toMatchObject({ 2: false, 3: true, 4: true });
  });

  it('marks a refused send as failed', () => {
    const { store, apply } = setup();
    store.dispatch(chatActions.sendQueued({ clientMsgId: 'c9', roomId: 7, body: 'x', parentSeq: null, createdAt: '' }));
    apply({ type: 'error', code: 'forbidden', message: 'not a member', client_msg_id: 'c9' });
    expect(store.getState().chat.pending.c9).toMatchObject({ status: 'failed', error: 'not a member' });
  });
});

describe('outbox persistence', () => {
  it('re-sends unsent messages after a reload and keeps storage in step', async () => {
    const { restoreOutbox } = await import('./client');
    localStorage.setItem(
      'parley.outbox.1',
      JSON.stringify([{ clientMsgId: 'c7', roomId: 7, body: 'written offline', parentSeq: null, createdAt: '', status: 'sending' }]),
    );
    const { store } = setup();
    const sent: unknown[] = [];
    const unsubscribe = restoreOutbox(store, { send: (f) => sent.push(f) }, 1);
    expect(sent).toEqual([{ type: 'message.send', room_id: 7, body: 'written offline', client_msg_id: 'c7' }]);
    expect(store.getState().chat.pending.c7?.status).toBe('sending');
    store.dispatch(chatActions.sendQueued({ clientMsgId: 'c8', roomId: 7, body: 'another', parentSeq: null, createdAt: '' }));
    expect(JSON.parse(localStorage.getItem('parley.outbox.1')!).map((p: { clientMsgId: string }) => p.clientMsgId)).toEqual(['c7', 'c8']);
    applyFrame({ type: 'message.ack', client_msg_id: 'c7', message: msg(1, 1, { client_msg_id: 'c7' }) }, store.dispatch, store.getState);
    applyFrame({ type: 'message.ack', client_msg_id: 'c8', message: msg(2, 1, { client_msg_id: 'c8' }) }, store.dispatch, store.getState);
    expect(localStorage.getItem('parley.outbox.1')).toBeNull();
    unsubscribe();
  });
});
