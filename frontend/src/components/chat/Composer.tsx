import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Member } from '../../api/generated';
import { sendChatMessage, sendTyping } from '../../realtime/client';
import { EmojiPicker } from './EmojiPicker';
import { Icon } from '../Icon';

const TYPING_EVERY_MS = 2500;

/** Unsent drafts per room and thread, kept while the tab lives. */
const drafts = new Map<string, string>();
const MAX = 4000;

/** The word being typed at the caret, if it is an @mention. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([A-Za-z0-9_.-]*)$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2].length - 1, query: m[2] };
}

type Suggestion = { username: string; label: string };

export function mentionSuggestions(members: Member[], query: string, meId?: number): Suggestion[] {
  const q = query.toLowerCase();
  const people = members
    .filter((m) => m.user.id !== meId)
    .filter((m) => m.user.username.toLowerCase().startsWith(q) || m.user.display_name.toLowerCase().includes(q))
    .map((m) => ({ username: m.user.username, label: m.user.display_name }));
  const special = [
    { username: 'here', label: 'Notify everyone online' },
    { username: 'room', label: 'Notify everyone in the room' },
  ].filter((s) => s.username.startsWith(q));
  return [...people, ...special].slice(0, 8);
}

export function Composer({
  roomId,
  parentSeq = null,
  members,
  meId,
  placeholder,
  disabled,
}: {
  roomId: number;
  parentSeq?: number | null;
  members: Member[];
  meId?: number;
  placeholder: string;
  disabled?: boolean;
}) {
  const id = `composer-${roomId}-${parentSeq ?? 'main'}`;
  const [text, setTextState] = useState(() => drafts.get(id) ?? '');
  const setText = (v: string) => {
    if (v) drafts.set(id, v);
    else drafts.delete(id);
    setTextState(v);
  };
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [picker, setPicker] = useState(false);
  const lastTyping = useRef(0);
  const pendingCaret = useRef<number | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);

  // Tell the others we stopped typing when leaving the room mid-sentence.
  useEffect(
    () => () => {
      if (lastTyping.current) sendTyping(roomId, true);
    },
    [roomId],
  );

  const mq = mentionQuery(text, caret);
  const suggestions = mq ? mentionSuggestions(members, mq.query, meId) : [];
  const open = suggestions.length > 0;

  function change(value: string, pos: number) {
    setText(value);
    setCaret(pos);
    setActive(0);
    const now = Date.now();
    if (value.trim() && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      sendTyping(roomId);
    }
    if (!value.trim() && lastTyping.current) {
      lastTyping.current = 0;
      sendTyping(roomId, true);
    }
  }

  function pick(s: Suggestion) {
    if (!mq) return;
    const next = `${text.slice(0, mq.start)}@${s.username} ${text.slice(caret)}`;
    const pos = mq.start + s.username.length + 2;
    pendingCaret.current = pos;
    setText(next);
    setCaret(pos);
  }

  // Place the caret after an inserted mention or emoji, before the next keystroke.
  useLayoutEffect(() => {
    const pos = pendingCaret.current;
    if (pos === null || !ref.current) return;
    pendingCaret.current = null;
    ref.current.focus();
    ref.current.setSelectionRange(pos, pos);
  }, [text]);

  function send() {
    const body = text.trim();
    if (!body || body.length > MAX) return;
    sendChatMessage(roomId, body, parentSeq);
    setText('');
    setCaret(0);
    if (lastTyping.current) sendTyping(roomId, true);
    lastTyping.current = 0;
  }

  function keys(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (open) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        setActive((a) => (a + 1) % suggestions.length);
        return;
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((a) => (a - 1 + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(suggestions[active]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setCaret(-1);
        return;
      }
    }
    if (e.key === 'ArrowUp' && !text && !parentSeq) {
      // Edit my last message, as in most chat apps.
      const mine = document.querySelectorAll<HTMLElement>('.messages article.msg[data-mine="true"]:not(.deleted)');
      const last = mine[mine.length - 1];
      if (last) {
        e.preventDefault();
        last.focus();
        last.dispatchEvent(new KeyboardEvent('keydown', { key: 'e', bubbles: true }));
      }
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  }

  const listId = `${id}-mentions`;
  return (
    <div className="composer">
      {open && (
        <ul className="mention-list" id={listId} role="listbox" aria-label="Mention suggestions">
          {suggestions.map((s, i) => (
            <li
              key={s.username}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(s);
              }}
            >
              <strong>@{s.username}</strong> <span className="muted">{s.label}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="composer-box">
        <label htmlFor={id} className="sr-only">
          {placeholder}
        </label>
        <textarea
          id={id}
          ref={ref}
          value={text}
          placeholder={placeholder}
          disabled={disabled}
          rows={Math.min(6, text.split('\n').length)}
          maxLength={MAX}
          onChange={(e) => change(e.target.value, e.target.selectionStart)}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={keys}
          aria-controls={open ? listId : undefined}
          aria-autocomplete="list"
          aria-activedescendant={open ? `${listId}-${active}` : undefined}
        />
        <button className="icon-btn" aria-label="Insert emoji" aria-expanded={picker} onClick={() => setPicker((p) => !p)} type="button">
          <Icon name="smile" size={20} />
        </button>
        <button className="btn primary send-btn" onClick={send} disabled={disabled || !text.trim()} aria-label="Send message">
          Send
        </button>
        {picker && (
          <div className="picker-pop up">
            <EmojiPicker
              onPick={(em) => {
                const pos = ref.current?.selectionStart ?? text.length;
                pendingCaret.current = pos + em.length;
                setText(text.slice(0, pos) + em + text.slice(pos));
                setPicker(false);
              }}
              onClose={() => setPicker(false)}
            />
          </div>
        )}
      </div>
      <div className="composer-hint small muted" aria-hidden="true">
        <b>Enter</b> to send · <b>Shift+Enter</b> for a new line · <b>↑</b> edits your last message · Markdown ·{' '}
        <b>@</b> to mention
      </div>
    </div>
  );
}
