import { describe, expect, it, vi } from 'vitest';
import { ParleySocket, backoffDelay, type SocketDeps } from './socket';
import type { ServerFrame } from './protocol';
import { message } from '../test/fixtures';

class FakeWS {
  static all: FakeWS[] = [];
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeWS.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  // test helpers
  open() {
    this.onopen?.();
  }
  recv(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}

const msg = (room: number, seq: number, body = `m${seq}`, cid: string | null = null, author = 2) =>
  message(seq, { room_id: room, author: { id: author, username: 'u', display_name: 'U' }, body, client_msg_id: cid });

function setup(over: Partial<SocketDeps> = {}) {
  FakeWS.all = [];
  const frames: ServerFrame[] = [];
  const timers: { fn: () => void; ms: number; id: number }[] = [];
  let nextId = 1;
  const deps: SocketDeps = {
    url: () => 'ws://test/ws',
    getToken: async () => 'tok',
    onAuthFailed: async () => true,
    onSessionEnded: vi.fn(),
    onFrame: (f) => frames.push(f),
    onStatus: vi.fn(),
    onResync: vi.fn(),
    WebSocketImpl: FakeWS as unknown as typeof WebSocket,
    random: () => 0.5,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ fn, ms, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    ...over,
  };
  const sock = new ParleySocket(deps);
  sock.setMe(1);
  /** Run the pending retry timer (the longest-due reconnect). */
  const runRetry = async () => {
    const t = timers.find((x) => x.ms < 20_000);
    if (!t) throw new Error('no retry scheduled');
    timers.splice(timers.indexOf(t), 1);
    t.fn();
    await flush();
  };
  return { sock, frames, deps, timers, runRetry };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

async function connect(sock: ParleySocket, rooms: { room_id: number; last_event_seq: number; last_seq: number }[] = []) {
  sock.start();
  await flush();
  const ws = FakeWS.all[FakeWS.all.length - 1]!;
  ws.open();
  ws.recv({ type: 'ready', user: { id: 1 }, rooms });
  return ws;
}

describe('ParleySocket', () => {
  it('authenticates with the first frame and takes the room positions from ready', async () => {
    const { sock } = setup();
    const ws = await connect(sock, [{ room_id: 7, last_event_seq: 12, last_seq: 9 }]);
    expect(ws.sent[0]).toEqual({ type: 'auth', token: 'tok' });
    expect(sock.lastEventSeq.get(7)).toBe(12);
    expect(sock.connectionStatus).toBe('online');
  });

  it('drops replayed duplicates and applies each event once, in order', async () => {
    const { sock, frames } = setup();
    const ws = await connect(sock, [{ room_id: 7, last_event_seq: 2, last_seq: 2 }]);
    ws.recv({ type: 'message.created', room_id: 7, event_seq: 2, message: msg(7, 2) }); // already seen
    ws.recv({ type: 'message.created', room_id: 7, event_seq: 3, message: msg(7, 3) });
    ws.recv({ type: 'message.created', room_id: 7, event_seq: 3, message: msg(7, 3) }); // duplicate
    ws.recv({ type: 'message.updated', room_id: 7, event_seq: 4, message: msg(7, 3, 'edited') });
    const applied = frames.filter((f) => f.type !== 'ready').map((f) => ('event_seq' in f ? f.event_seq : null));
    expect(applied).toEqual([3, 4]);
    expect(sock.lastEventSeq.get(7)).toBe(4);
  });

  it('resumes from the last event_seq after the connection drops', async () => {
    const { sock, runRetry } = setup();
    const ws = await connect(sock, [{ room_id: 7, last_event_seq: 2, last_seq: 2 }]);
    ws.recv({ type: 'message.created', room_id: 7, event_seq: 3, message: msg(7, 3) });
    ws.drop(1006);
    expect(sock.connectionStatus).toBe('reconnecting');
    await runRetry();
    const ws2 = FakeWS.all[FakeWS.all.length - 1]!;
    expect(ws2).not.toBe(ws);
    ws2.open();
    expect(ws2.sent[0]).toEqual({ type: 'auth', token: 'tok', resume: { '7': 3 } });
  });

  it('reconnects instead of applying past a hole', async () => {
    const { sock, frames, runRetry } = setup();
    const ws = await connect(sock, [{ room_id: 7, last_event_seq: 2, last_seq: 2 }]);
    ws.recv({ type: 'message.created', room_id: 7, event_seq: 5, message: msg(7, 5) });
    expect(frames.some((f) => f.type === 'message.created')).toBe(false);
    expect(ws.closed).toBe(true);
    await runRetry();
    const ws2 = FakeWS.all[FakeWS.all.length - 1]!;
    ws2.open();
    expect(ws2.sent[0]).toMatchObject({ resume: { '7': 2 } });
  });

  it('keeps sends in an outbox until acknowledged, resending them after a reconnect', async () => {
    const { sock, runRetry } = setup();
    const ws = await connect(sock);
    sock.send({ type: 'message.send', room_id: 7, body: 'hi', client_msg_id: 'c1' });
    expect(ws.sent).toContainEqual({ type: 'message.send', room_id: 7, body: 'hi', client_msg_id: 'c1' });
    ws.drop(1001);
    await runRetry();
    const ws2 = FakeWS.all[FakeWS.all.length - 1]!;
    ws2.open();
    expect(ws2.sent.filter((f) => (f as { type: string }).type === 'message.send')).toHaveLength(0); // not before ready
    ws2.recv({ type: 'ready', user: { id: 1 }, rooms: [] });
    expect(ws2.sent.filter((f) => (f as { type: string }).type === 'message.send')).toHaveLength(1);
    ws2.recv({ type: 'message.ack', client_msg_id: 'c1', message: msg(7, 1, 'hi', 'c1', 1) });
    expect(sock.outbox.size).toBe(0);
  });

  it('queues sends made while offline', async () => {
    const { sock } = setup();
    sock.send({ type: 'message.send', room_id: 7, body: 'later', client_msg_id: 'c2' });
    const ws = await connect(sock);
    expect(ws.sent).toContainEqual({ type: 'message.send', room_id: 7, body: 'later', client_msg_id: 'c2' });
  });

  it('drops a send the server refuses, but keeps a rate-limited one', async () => {
    const { sock } = setup();
    const ws = await connect(sock);
    sock.send({ type: 'message.send', room_id: 7, body: 'x', client_msg_id: 'a' });
    sock.send({ type: 'message.send', room_id: 7, body: 'y', client_msg_id: 'b' });
    ws.recv({ type: 'error', code: 'validation_failed', message: 'no', client_msg_id: 'a' });
    ws.recv({ type: 'error', code: 'rate_limited', message: 'slow down', client_msg_id: 'b' });
    expect([...sock.outbox.keys()]).toEqual(['b']);
  });

  it('signs out on 4003 and refreshes then reconnects on 4001', async () => {
    const onAuthFailed = vi.fn(async () => true);
    const { sock, deps, timers } = setup({ onAuthFailed });
    const ws = await connect(sock);
    ws.drop(4001);
    await flush();
    expect(onAuthFailed).toHaveBeenCalled();
    expect(timers.length).toBeGreaterThan(0);
    const { sock: s2, deps: d2 } = setup();
    const ws2 = await connect(s2);
    ws2.drop(4003);
    await flush();
    expect(d2.onSessionEnded).toHaveBeenCalled();
    expect(deps.onSessionEnded).not.toHaveBeenCalled();
  });

  it('retries (does not sign out) when the refresh after 4001 fails for a network reason', async () => {
    const onAuthFailed = vi.fn(async (): Promise<boolean> => {
      throw new Error('offline');
    });
    const { sock, deps, timers } = setup({ onAuthFailed });
    const ws = await connect(sock);
    ws.drop(4001);
    await flush();
    expect(deps.onSessionEnded).not.toHaveBeenCalled();
    expect(timers.some((t) => t.ms < 20_000)).toBe(true);
    expect(sock.connectionStatus).toBe('reconnecting');
  });

  it('signs out when the refresh after 4001 is refused', async () => {
    const { sock, deps } = setup({ onAuthFailed: async () => false });
    const ws = await connect(sock);
    ws.drop(4001);
    await flush();
    expect(deps.onSessionEnded).toHaveBeenCalled();
  });

  it('asks for a reload on resync_required and forgets the position', async () => {
    const { sock, deps } = setup();
    const ws = await connect(sock, [{ room_id: 7, last_event_seq: 2, last_seq: 2 }]);
    ws.recv({ type: 'resync_required', room_id: 7 });
    expect(deps.onResync).toHaveBeenCalledWith(7);
    expect(sock.lastEventSeq.has(7)).toBe(false);
    ws.recv({ type: 'message.created', room_id: 7, event_seq: 40, message: msg(7, 30) });
    expect(sock.lastEventSeq.get(7)).toBe(40);
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(20, () => 1)).toBe(15000);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(4, () => i / 20)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

describe('ParleySocket and the browser network state', () => {
  it('stays offline until told the network is back, then reconnects at once and resumes', async () => {
    const { sock } = setup();
    const ws = await connect(sock, [{ room_id: 7, last_event_seq: 4, last_seq: 4 }]);
    sock.goOffline();
    expect(ws.closed).toBe(true);
    expect(sock.connectionStatus).toBe('offline');
    const before = FakeWS.all.length;
    sock.reconnectNow();
    await flush();
    expect(FakeWS.all.length).toBe(before + 1);
    const ws2 = FakeWS.all[FakeWS.all.length - 1]!;
    ws2.open();
    expect(ws2.sent[0]).toEqual({ type: 'auth', token: 'tok', resume: { '7': 4 } });
  });
});
