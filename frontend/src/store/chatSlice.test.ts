import { describe, expect, it } from 'vitest';
import reducer, { chatActions, MAX_WINDOW, newerVersion, type ChatState } from './chatSlice';
import { message } from '../test/fixtures';

const m = message;

const run = (state: ChatState | undefined, ...actions: { type: string }[]) =>
  actions.reduce((s, a) => reducer(s, a as never), state as ChatState);

describe('chat slice', () => {
  it('never shows a message twice, whatever path it arrives by', () => {
    let s = run(undefined, chatActions.roomLoading({ roomId: 1 }));
    s = run(s, chatActions.pageLoaded({ roomId: 1, mode: 'latest', items: [m(1), m(2)], hasOlder: false, hasNewer: false }));
    s = run(
      s,
      chatActions.messageUpserted({ message: m(2), live: true }),
      chatActions.messageUpserted({ message: m(3), live: true }),
      chatActions.messageUpserted({ message: m(3), live: true }),
    );
    expect(s.rooms[1]!.seqs).toEqual([1, 2, 3]);
  });

  it('replaces the optimistic message when its ack or echo arrives', () => {
    let s = run(undefined, chatActions.roomLoading({ roomId: 1 }));
    s = run(s, chatActions.sendQueued({ clientMsgId: 'c1', roomId: 1, body: 'hi', parentSeq: null, createdAt: '' }));
    expect(Object.keys(s.pending)).toEqual(['c1']);
    s = run(s, chatActions.messageUpserted({ message: m(5, { client_msg_id: 'c1', body: 'hi' }), live: true }));
    expect(s.pending).toEqual({});
    expect(s.rooms[1]!.bySeq[5]!.body).toBe('hi');
  });

  it('keeps the newest version of an edited or deleted message', () => {
    const old = m(1);
    const edited = m(1, { body: 'new', edited_at: '2026-11-22T10:05:00Z' });
    const deleted = m(1, { body: '', deleted: true });
    expect(newerVersion(edited, old)).toBe(edited);
    expect(newerVersion(old, edited)).toBe(edited);
    expect(newerVersion(deleted, edited)).toBe(deleted);
  });

  it('orders pages loaded upward and keeps has_older', () => {
    let s = run(undefined, chatActions.pageLoaded({ roomId: 1, mode: 'latest', items: [m(51), m(52)], hasOlder: true, hasNewer: false }));
    s = run(s, chatActions.pageLoaded({ roomId: 1, mode: 'before', items: [m(49), m(50)], hasOlder: false, hasNewer: false }));
    expect(s.rooms[1]!.seqs).toEqual([49, 50, 51, 52]);
    expect(s.rooms[1]!.hasOlder).toBe(false);
  });

  it('keeps a window bounded, dropping the far end and marking it loadable', () => {
    const page = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => m(from + i));
    let s = run(undefined, chatActions.pageLoaded({ roomId: 1, mode: 'latest', items: page(901, 1000), hasOlder: true, hasNewer: false }));
    for (let top = 900; top > 400; top -= 100) {
      s = run(s, chatActions.pageLoaded({ roomId: 1, mode: 'before', items: page(top - 99, top), hasOlder: true, hasNewer: false }));
    }
    const w = s.rooms[1]!;
    expect(w.seqs.length).toBe(MAX_WINDOW);
    expect(w.seqs[0]).toBe(401);
    expect(w.seqs[w.seqs.length - 1]).toBe(800);
    expect(w.hasNewer).toBe(true);
    expect(w.bySeq[1000]).toBeUndefined();
    s = run(s, chatActions.pageLoaded({ roomId: 1, mode: 'after', items: page(801, 900), hasOlder: true, hasNewer: true }));
    expect(s.rooms[1]!.seqs[0]).toBe(501);
    expect(s.rooms[1]!.seqs.at(-1)).toBe(900);
    expect(s.rooms[1]!.hasOlder).toBe(true);
    expect(s.rooms[1]!.hasNewer).toBe(true);
  });

  it('does not append live messages to a window opened around an old message', () => {
    let s = run(undefined, chatActions.pageLoaded({ roomId: 1, mode: 'around', items: [m(10), m(11)], hasOlder: true, hasNewer: true }));
    s = run(s, chatActions.messageUpserted({ message: m(99), live: true }));
    expect(s.rooms[1]!.seqs).toEqual([10, 11]);
    s = run(s, chatActions.pageLoaded({ roomId: 1, mode: 'latest', items: [m(98), m(99)], hasOlder: true, hasNewer: false }));
    expect(s.rooms[1]!.seqs).toEqual([98, 99]);
  });

  it('counts reactions and derives "me"', () => {
    let s = run(undefined, chatActions.pageLoaded({ roomId: 1, mode: 'latest', items: [m(1)], hasOlder: false, hasNewer: false }));
    s = run(
      s,
      chatActions.reactionChanged({ roomId: 1, seq: 1, emoji: '👍', added: true, mine: false }),
      chatActions.reactionChanged({ roomId: 1, seq: 1, emoji: '👍', added: true, mine: true }),
    );
    expect(s.rooms[1]!.bySeq[1]!.reactions).toEqual([{ emoji: '👍', count: 2, me: true }]);
    s = run(
      s,
      chatActions.reactionChanged({ roomId: 1, seq: 1, emoji: '👍', added: false, mine: true }),
      chatActions.reactionChanged({ roomId: 1, seq: 1, emoji: '👍', added: false, mine: false }),
    );
    expect(s.rooms[1]!.bySeq[1]!.reactions).toEqual([]);
  });

  it('expires typing on a message from the typist', () => {
    let s = run(undefined, chatActions.roomLoading({ roomId: 1 }), chatActions.typingSeen({ roomId: 1, userId: 2, now: 0 }));
    expect(s.typing[1]![2]).toBe(6000);
    s = run(s, chatActions.messageUpserted({ message: m(1), live: true }));
    expect(s.typing[1]![2]).toBeUndefined();
  });
});
