import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Member, Message } from '../../api/generated';
import { useAppDispatch, useAppSelector } from '../../store';
import type { PendingMessage } from '../../store/chatSlice';
import { loadNewer, loadOlder } from '../../store/thunks';
import { dayLabel, sameDay } from '../../lib/time';
import { discardSend, retrySend } from '../../realtime/client';
import { MessageItem } from './MessageItem';
import { Avatar, Spinner } from '../ui';

const GROUP_MS = 5 * 60 * 1000;

/** For each message seq, the names of readers whose read position is exactly there. */
export function seenByMap(
  messages: { seq: number; author: { id: number } }[],
  reads: Record<number, number> | undefined,
  names: Map<number, string>,
  meId: number,
): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const seqs = messages.map((m) => m.seq);
  if (!reads || seqs.length === 0) return out;
  for (const [uid, readSeq] of Object.entries(reads)) {
    const id = Number(uid);
    if (id === meId) continue;
    // The last shown message at or before the reader's position.
    let lo = 0;
    let hi = seqs.length - 1;
    let pos = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! <= readSeq) {
        pos = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Nobody needs to be told they saw their own message: place them on the last
    // message by someone else.
    while (pos >= 0 && messages[pos]!.author.id === id) pos -= 1;
    if (pos < 0) continue;
    const seq = seqs[pos]!;
    const list = out.get(seq) ?? [];
    list.push(names.get(id) ?? `user ${id}`);
    out.set(seq, list);
  }
  return out;
}

type Props = {
  roomId: number;
  meId: number;
  members: Member[];
  canModerate: boolean;
  highlightSeq: number | null;
  onOpenThread: (seq: number) => void;
  onAtBottom: (atBottom: boolean) => void;
  /** Leave a window opened around an old message for the newest messages. */
  onJumpLatest?: () => void;
};

export function MessageList({
  roomId,
  meId,
  members,
  canModerate,
  highlightSeq,
  onOpenThread,
  onAtBottom,
  onJumpLatest,
}: Props) {
  const dispatch = useAppDispatch();
  const win = useAppSelector((s) => s.chat.rooms[roomId]);
  const pendingAll = useAppSelector((s) => s.chat.pending);
  const reads = useAppSelector((s) => s.chat.reads[roomId]);
  const me = useAppSelector((s) => s.session.user);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const loadingMore = useRef(false);
  /** The message on screen before a page loads, and its distance from the top. */
  const anchor = useRef<{ seq: number; offset: number } | null>(null);
  const restored = useRef(false);
  const captureAnchor = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    for (const node of el.querySelectorAll<HTMLElement>('article.msg[data-seq]')) {
      if (node.offsetTop + node.offsetHeight > el.scrollTop) {
        anchor.current = { seq: Number(node.dataset.seq), offset: node.offsetTop - el.scrollTop };
        return;
      }
    }
  }, []);
  const [newBelow, setNewBelow] = useState(false);

  const messages: Message[] = useMemo(() => {
    if (!win) return [];
    const out: Message[] = [];
    for (const s of win.seqs) {
      const m = win.bySeq[s]!;
      if (!m.parent_seq) out.push(m);
    }
    return out;
  }, [win]);
  const pending: PendingMessage[] = useMemo(
    () => Object.values(pendingAll).filter((p) => p.roomId === roomId && !p.parentSeq),
    [pendingAll, roomId],
  );
  const names = useMemo(
    () => new Map(members.map((m) => [m.user.id, m.user.display_name || m.user.username])),
    [members],
  );
  const seen = useMemo(() => seenByMap(messages, reads, names, meId), [messages, reads, names, meId]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el || !win) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (bottom !== atBottom.current) {
      atBottom.current = bottom;
      onAtBottom(bottom);
      if (bottom) setNewBelow(false);
    }
    if (el.scrollTop < 300 && win.hasOlder && !loadingMore.current && win.status === 'ready') {
      loadingMore.current = true;
      captureAnchor();
      dispatch(loadOlder(roomId))
        .catch(() => undefined)
        .finally(() => {
          loadingMore.current = false;
        });
    } else if (bottom && win.hasNewer && !loadingMore.current) {
      loadingMore.current = true;
      captureAnchor();
      dispatch(loadNewer(roomId))
        .catch(() => undefined)
        .finally(() => {
          loadingMore.current = false;
        });
    }
  }, [dispatch, roomId, win, onAtBottom, captureAnchor]);

  const firstSeq = messages[0]?.seq;
  const lastKey = `${messages[messages.length - 1]?.seq}:${pending.length}`;

  // Keep the view still when a page is added (or the far end dropped): the message that
  // was on screen stays where it was.
  useLayoutEffect(() => {
    const el = scroller.current;
    const a = anchor.current;
    restored.current = false;
    if (!el || !a) return;
    const node = el.querySelector<HTMLElement>(`article.msg[data-seq="${a.seq}"]`);
    if (node) {
      el.scrollTop = node.offsetTop - a.offset;
      restored.current = true;
    }
    anchor.current = null;
  }, [firstSeq, lastKey]);

  // Follow new messages when already at the bottom; otherwise offer a way down.
  const seenLastKey = useRef(lastKey);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (restored.current) restored.current = false;
    else if (el && atBottom.current && !highlightSeq && !win?.hasNewer) el.scrollTop = el.scrollHeight;
    else if (seenLastKey.current !== lastKey && !atBottom.current) setNewBelow(true);
    seenLastKey.current = lastKey;
  }, [lastKey, highlightSeq, win?.hasNewer]);

  // Jump to a message, once: the window changes with every event of the room, and
  // jumping again would take the focus from wherever the reader went since (a search
  // box lost its Enter to the highlighted message).
  const jumpedTo = useRef<number | null>(null);
  useEffect(() => {
    if (!highlightSeq) {
      jumpedTo.current = null;
      return;
    }
    if (jumpedTo.current === highlightSeq || !win || win.status !== 'ready') return;
    const el = document.getElementById(`msg-${highlightSeq}`);
    if (el) {
      jumpedTo.current = highlightSeq;
      el.scrollIntoView({ block: 'center' });
      el.focus({ preventScroll: true });
    }
  }, [highlightSeq, win]);

  // Fill the viewport: if there is no scrollbar yet, fetch older pages.
  useEffect(() => {
    const el = scroller.current;
    if (el && win?.status === 'ready' && win.hasOlder && el.scrollHeight <= el.clientHeight && !loadingMore.current) {
      loadingMore.current = true;
      dispatch(loadOlder(roomId))
        .catch(() => undefined)
        .finally(() => {
          loadingMore.current = false;
        });
    }
  }, [win, dispatch, roomId]);

  if (!win || (win.status === 'loading' && win.seqs.length === 0)) return <Spinner label="Loading messages" />;
  if (win.status === 'error' && win.seqs.length === 0)
    return (
      <div className="empty" role="alert">
        Could not load messages.
      </div>
    );

  return (
    <div className="messages-wrap">
      {win.hasNewer && onJumpLatest && (
        <button className="new-below btn primary small" onClick={onJumpLatest}>
          Jump to the latest ↓
        </button>
      )}
      {newBelow && !win.hasNewer && (
        <button
          className="new-below btn primary small"
          onClick={() => {
            const el = scroller.current;
            if (el) el.scrollTop = el.scrollHeight;
            setNewBelow(false);
          }}
        >
          New messages ↓
        </button>
      )}
      <div
        className="messages"
        ref={scroller}
        onScroll={onScroll}
        role="log"
        aria-label="Messages"
        aria-live="polite"
        aria-relevant="additions"
      >
        {!win.hasOlder && (
          <div className="room-start muted">
            <strong>This is the beginning of the room.</strong>
          </div>
        )}
        {win.hasOlder && (
          <div className="load-older">
            <button className="link-btn" onClick={() => dispatch(loadOlder(roomId)).catch(() => undefined)}>
              Load earlier messages
            </button>
          </div>
        )}
        {messages.map((m, i) => {
          const prev = messages[i - 1];
          const newDay = !prev || !sameDay(prev.created_at, m.created_at);
          const compact =
            !newDay &&
            !!prev &&
            prev.author.id === m.author.id &&
            !prev.deleted &&
            Date.parse(m.created_at) - Date.parse(prev.created_at) < GROUP_MS;
          return (
            <Fragment key={m.seq}>
              {newDay && (
                <div className="day-sep" role="separator">
                  <span>{dayLabel(m.created_at)}</span>
                </div>
              )}
              <MessageItem
                message={m}
                meId={meId}
                compact={compact}
                highlighted={m.seq === highlightSeq}
                canModerate={canModerate}
                onOpenThread={onOpenThread}
                seenBy={seen.get(m.seq)}
              />
            </Fragment>
          );
        })}
        {pending.map((p) => (
          <article
            className={`msg pending ${p.status}`}
            key={p.clientMsgId}
            aria-label="Your message, not sent yet"
            data-testid="pending"
          >
            <div className="msg-gutter">
              <Avatar name={me?.display_name ?? '?'} id={meId} size={36} />
            </div>
            <div className="msg-main">
              <div className="msg-head">
                <span className="msg-author">{me?.display_name}</span>
                <span className="muted small">{p.status === 'failed' ? 'Not sent' : 'Sending…'}</span>
              </div>
              <div className="msg-body" data-testid="msg-body">
                {p.body}
              </div>
              {p.status === 'failed' && (
                <div className="form-error small" role="alert">
                  {p.error}{' '}
                  <button className="link-btn" onClick={() => retrySend(p.clientMsgId)}>
                    Retry
                  </button>{' '}
                  <button className="link-btn" onClick={() => discardSend(p.clientMsgId)}>
                    Discard
                  </button>
                </div>
              )}
            </div>
          </article>
        ))}
        {win.hasNewer && (
          <div className="load-older">
            <button className="link-btn" onClick={() => dispatch(loadNewer(roomId)).catch(() => undefined)}>
              Load newer messages
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
