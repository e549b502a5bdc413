import { useMemo } from 'react';
import { useListThreadQuery, type Member, type Message } from '../../api/generated';
import { useAppSelector } from '../../store';
import { MessageItem } from './MessageItem';
import { Composer } from './Composer';
import { Spinner } from '../ui';
import { Icon } from '../Icon';

export function ThreadPanel({
  roomId,
  rootSeq,
  meId,
  members,
  canModerate,
  canPost,
  onClose,
}: {
  roomId: number;
  rootSeq: number;
  meId: number;
  members: Member[];
  canModerate: boolean;
  canPost: boolean;
  onClose: () => void;
}) {
  const { data, isLoading, isError } = useListThreadQuery({ roomId, seq: rootSeq, limit: 100 }, { refetchOnMountOrArgChange: true });
  const win = useAppSelector((s) => s.chat.rooms[roomId]);
  const pendingAll = useAppSelector((s) => s.chat.pending);

  // The REST page, updated and extended by live messages of the room window.
  const root: Message | undefined = win?.bySeq[rootSeq] ?? data?.root;
  const replies = useMemo(() => {
    const map = new Map<number, Message>();
    for (const m of data?.items ?? []) map.set(m.seq, m);
    if (win) for (const s of win.seqs) {
      const m = win.bySeq[s]!;
      if (m.parent_seq === rootSeq) map.set(m.seq, m);
    }
    return [...map.values()].sort((a, b) => a.seq - b.seq);
  }, [data, win, rootSeq]);
  const pending = Object.values(pendingAll).filter((p) => p.roomId === roomId && p.parentSeq === rootSeq);

  return (
    <aside className="thread-panel" aria-label="Thread">
      <header className="thread-head">
        <h2>Thread</h2>
        <button className="icon-btn" onClick={onClose} aria-label="Close thread">
          <Icon name="close" />
        </button>
      </header>
      <div className="thread-body">
        {isLoading && <Spinner label="Loading thread" />}
        {isError && <div role="alert">Could not load the thread.</div>}
        {root && <MessageItem message={root} meId={meId} compact={false} canModerate={canModerate} inThread />}
        {root && (
          <div className="thread-count muted small" role="separator">
            {replies.length} {replies.length === 1 ? 'reply' : 'replies'}
          </div>
        )}
        <div role="log" aria-label="Replies">
          {replies.map((m) => (
            <MessageItem key={m.seq} message={m} meId={meId} compact={false} canModerate={canModerate} inThread />
          ))}
          {pending.map((p) => (
            <div key={p.clientMsgId} className="msg pending" data-testid="pending">
              <div className="msg-main">
                <div className="msg-body">{p.body}</div>
                <div className="small muted">{p.status === 'failed' ? `Not sent: ${p.error}` : 'Sending…'}</div>
              </div>
            </div>
          ))}
        </div>
      </div>
      {canPost && <Composer key={rootSeq} roomId={roomId} parentSeq={rootSeq} members={members} meId={meId} placeholder="Reply in thread" />}
    </aside>
  );
}
