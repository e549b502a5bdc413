import { memo, useState, type KeyboardEvent } from 'react';
import type { Message } from '../../api/generated';
import {
  useAddReactionMutation,
  useCreateReportMutation,
  useDeleteMessageMutation,
  useListMessageEditsQuery,
  usePinMessageMutation,
  useRemoveReactionMutation,
  useUpdateMessageMutation,
} from '../../api/generated';
import { useAppDispatch } from '../../store';
import { chatActions } from '../../store/chatSlice';
import { errorMessage } from '../../lib/errors';
import { fullTime, timeOfDay } from '../../lib/time';
import { QUICK_REACTIONS } from '../../lib/emoji';
import { Avatar, Modal, Spinner } from '../ui';
import { Markdown } from './Markdown';
import { EmojiPicker } from './EmojiPicker';
import { Icon } from '../Icon';
import { UserCard } from '../UserCard';

type Props = {
  message: Message;
  meId: number;
  compact: boolean;
  highlighted?: boolean;
  canModerate?: boolean;
  onOpenThread?: (seq: number) => void;
  seenBy?: string[];
  inThread?: boolean;
};

export const MessageItem = memo(function MessageItem({
  message: m,
  meId,
  compact,
  highlighted,
  canModerate,
  onOpenThread,
  seenBy,
  inThread,
}: Props) {
  const dispatch = useAppDispatch();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.body);
  const [picker, setPicker] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [profile, setProfile] = useState(false);
  const [history, setHistory] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [update] = useUpdateMessageMutation();
  const [del] = useDeleteMessageMutation();
  const [addReaction] = useAddReactionMutation();
  const [removeReaction] = useRemoveReactionMutation();
  const [pin] = usePinMessageMutation();
  const mine = m.author.id === meId;
  const name = m.author.display_name || m.author.username;

  async function saveEdit() {
    const body = draft.trim();
    if (!body || body === m.body) {
      setEditing(false);
      return;
    }
    try {
      const updated = await update({ roomId: m.room_id, seq: m.seq, editMessageRequest: { body } }).unwrap();
      dispatch(chatActions.messageUpserted({ message: updated, live: false }));
      setEditing(false);
      setError(null);
    } catch (e) {
      setError(errorMessage(e, 'Could not save the edit'));
    }
  }

  async function remove() {
    setConfirmDelete(false);
    try {
      await del({ roomId: m.room_id, seq: m.seq }).unwrap();
    } catch (e) {
      setError(errorMessage(e, 'Could not delete'));
    }
  }

  async function toggleReaction(emoji: string) {
    setPicker(false);
    const mineAlready = m.reactions?.some((r) => r.emoji === emoji && r.me);
    try {
      if (mineAlready) await removeReaction({ roomId: m.room_id, seq: m.seq, emoji }).unwrap();
      else await addReaction({ roomId: m.room_id, seq: m.seq, emoji }).unwrap();
    } catch (e) {
      setError(errorMessage(e, 'Could not react'));
    }
  }

  function editKeys(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void saveEdit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setEditing(false);
      setDraft(m.body);
    }
  }

  return (
    <article
      className={`msg ${compact ? 'compact' : ''} ${highlighted ? 'highlight' : ''} ${m.deleted ? 'deleted' : ''}`}
      id={inThread ? `thread-msg-${m.seq}` : `msg-${m.seq}`}
      data-seq={m.seq}
      data-mine={mine || undefined}
      aria-label={`${name} at ${timeOfDay(m.created_at)}`}
      tabIndex={0}
      onKeyDown={(e) => {
        // Arrow keys move between messages; Tab goes into the focused message's actions.
        if (e.target !== e.currentTarget) return;
        const sib = (el: Element | null, dir: 'previousElementSibling' | 'nextElementSibling') => {
          let n = el?.[dir] ?? null;
          while (n && !(n instanceof HTMLElement && n.matches('article.msg'))) n = n[dir];
          return n as HTMLElement | null;
        };
        if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
          e.preventDefault();
          sib(e.currentTarget, e.key === 'ArrowUp' ? 'previousElementSibling' : 'nextElementSibling')?.focus();
        } else if (e.key === 'e' && mine && !m.deleted) {
          e.preventDefault();
          setDraft(m.body);
          setEditing(true);
        }
      }}
    >
      <div className="msg-gutter">
        {compact ? (
          <time className="msg-hover-time" dateTime={m.created_at} title={fullTime(m.created_at)}>
            {timeOfDay(m.created_at)}
          </time>
        ) : (
          <Avatar name={name} id={m.author.id} size={36} />
        )}
      </div>
      <div className="msg-main">
        {!compact && (
          <div className="msg-head">
            <button className="msg-author link-plain" onClick={() => setProfile(true)} aria-label={`Profile of ${name}`}>
              {name}
            </button>
            <time dateTime={m.created_at} title={fullTime(m.created_at)} className="muted small">
              {timeOfDay(m.created_at)}
            </time>
          </div>
        )}
        {m.deleted ? (
          <div className="msg-body muted italic" data-testid="msg-body">
            This message was deleted.
          </div>
        ) : editing ? (
          <div className="msg-edit">
            <label className="sr-only" htmlFor={`edit-${m.seq}`}>
              Edit message
            </label>
            <textarea
              id={`edit-${m.seq}`}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={editKeys}
              autoFocus
              rows={Math.min(8, draft.split('\n').length + 1)}
            />
            <div className="small muted">
              Enter to save · Escape to cancel{' '}
              <button className="link-btn" onClick={() => void saveEdit()}>
                Save
              </button>
            </div>
          </div>
        ) : (
          <div className="msg-body" data-testid="msg-body">
            <Markdown text={m.body} />
            {m.edited_at && (
              <button className="edited muted small link-plain" title={`Edited ${fullTime(m.edited_at)}`} onClick={() => setHistory(true)}>
                (edited)
              </button>
            )}
          </div>
        )}
        {error && (
          <div className="form-error small" role="alert">
            {error}
          </div>
        )}
        {!m.deleted && (m.reactions?.length ?? 0) > 0 && (
          <ul className="reactions" aria-label="Reactions">
            {m.reactions.map((r) => (
              <li key={r.emoji}>
                <button
                  className={`reaction ${r.me ? 'me' : ''}`}
                  aria-pressed={!!r.me}
                  aria-label={`${r.emoji} ${r.count}${r.me ? ', including you' : ''}`}
                  onClick={() => void toggleReaction(r.emoji)}
                >
                  <span aria-hidden="true">{r.emoji}</span> <span aria-hidden="true">{r.count}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {!inThread && m.reply_count > 0 && onOpenThread && (
          <button className="thread-link" onClick={() => onOpenThread(m.seq)}>
            {m.reply_count} {m.reply_count === 1 ? 'reply' : 'replies'}
          </button>
        )}
        {seenBy && seenBy.length > 0 && (
          <div className="seen-by muted small" data-testid="seen-by">
            Seen by {seenBy.join(', ')}
          </div>
        )}
      </div>
      {!m.deleted && !editing && (
        <div className="msg-actions" role="toolbar" aria-label="Message actions">
          {QUICK_REACTIONS.slice(0, 3).map((e) => (
            <button key={e} className="icon-btn small" aria-label={`React with ${e}`} onClick={() => void toggleReaction(e)}>
              {e}
            </button>
          ))}
          <button className="icon-btn small" aria-label="Add reaction" aria-expanded={picker} onClick={() => setPicker((p) => !p)}>
            <Icon name="smile" />
          </button>
          {!inThread && onOpenThread && (
            <button className="icon-btn small" aria-label="Reply in thread" onClick={() => onOpenThread(m.seq)}>
              <Icon name="thread" />
            </button>
          )}
          {mine && (
            <button
              className="icon-btn small"
              aria-label="Edit message"
              onClick={() => {
                setDraft(m.body);
                setEditing(true);
              }}
            >
              <Icon name="edit" />
            </button>
          )}
          {(mine || canModerate) && (
            <button className="icon-btn small" aria-label="Delete message" onClick={() => setConfirmDelete(true)}>
              <Icon name="trash" />
            </button>
          )}
          <button
            className="icon-btn small"
            aria-label="Copy link to message"
            onClick={() => {
              const url = `${window.location.origin}/rooms/${m.room_id}?msg=${m.seq}`;
              navigator.clipboard?.writeText(url).catch(() => setError('Could not copy the link'));
            }}
          >
            <Icon name="link" />
          </button>
          {canModerate && !inThread && (
            <button
              className="icon-btn small"
              aria-label="Pin message"
              onClick={() => pin({ roomId: m.room_id, seq: m.seq }).unwrap().catch((e) => setError(errorMessage(e, 'Could not pin')))}
            >
              <Icon name="pin" />
            </button>
          )}
          {!mine && (
            <button className="icon-btn small" aria-label="Report message" onClick={() => setReporting(true)}>
              <Icon name="flag" />
            </button>
          )}
          {picker && (
            <div className="picker-pop">
              <EmojiPicker onPick={(e) => void toggleReaction(e)} onClose={() => setPicker(false)} />
            </div>
          )}
        </div>
      )}
      {confirmDelete && (
        <Modal title="Delete this message?" onClose={() => setConfirmDelete(false)}>
          <p>Everyone in the room will see that a message was deleted.</p>
          <div className="row end">
            <button className="btn" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            <button className="btn danger" onClick={() => void remove()} autoFocus>
              Delete
            </button>
          </div>
        </Modal>
      )}
      {reporting && <ReportDialog roomId={m.room_id} seq={m.seq} onClose={() => setReporting(false)} />}
      {profile && <UserCard userId={m.author.id} onClose={() => setProfile(false)} />}
      {history && <EditHistory roomId={m.room_id} seq={m.seq} current={m.body} onClose={() => setHistory(false)} />}
    </article>
  );
});

function EditHistory({ roomId, seq, current, onClose }: { roomId: number; seq: number; current: string; onClose: () => void }) {
  const { data, isLoading } = useListMessageEditsQuery({ roomId, seq });
  return (
    <Modal title="Edit history" onClose={onClose}>
      {isLoading && <Spinner />}
      <ol className="plain-list stack">
        {data?.items.map((e, i) => (
          <li key={i} className="card column">
            <span className="small muted">Before the edit of {fullTime(e.edited_at)}</span>
            <Markdown text={e.body} />
          </li>
        ))}
        <li className="card column">
          <span className="small muted">Now</span>
          <Markdown text={current} />
        </li>
      </ol>
    </Modal>
  );
}

export function ReportDialog({ roomId, seq, userId, onClose }: { roomId?: number; seq?: number; userId?: number; onClose: () => void }) {
  const [report, { isLoading, isSuccess }] = useCreateReportMutation();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title="Report" onClose={onClose}>
      {isSuccess ? (
        <p role="status">Thanks. The moderators will look at it.</p>
      ) : (
        <form
          className="stack"
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              await report({ createReportRequest: { reason, room_id: roomId ?? null, seq: seq ?? null, user_id: userId ?? null } }).unwrap();
            } catch (err) {
              setError(errorMessage(err));
            }
          }}
        >
          <div className="field">
            <label htmlFor="report-reason">What is wrong?</label>
            <textarea id="report-reason" value={reason} onChange={(e) => setReason(e.target.value)} required rows={3} />
          </div>
          {error && <div className="form-error" role="alert">{error}</div>}
          <div className="row end">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button className="btn primary" disabled={isLoading}>
              Send report
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
