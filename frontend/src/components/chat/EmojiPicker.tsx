import { useEffect, useMemo, useRef, useState } from 'react';
import { EMOJI_GROUPS, QUICK_REACTIONS } from '../../lib/emoji';

type Entry = { unicode: string; label: string; tags?: string[]; group?: number; order?: number };

const GROUP_NAMES: Record<number, string> = {
  0: 'Smileys & emotion',
  1: 'People & body',
  3: 'Animals & nature',
  4: 'Food & drink',
  5: 'Travel & places',
  6: 'Activities',
  7: 'Objects',
  8: 'Symbols',
  9: 'Flags',
};

let cache: Promise<Entry[]> | null = null;
/** The full Unicode emoji set (emojibase-data), loaded on first use as its own chunk. */
function loadEmoji(): Promise<Entry[]> {
  cache ??= import('emojibase-data/en/compact.json').then((m) =>
    (m.default as Entry[]).filter((e) => e.group !== undefined && e.group !== 2).sort((a, b) => (a.order ?? 0) - (b.order ?? 0)),
  );
  return cache;
}

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [all, setAll] = useState<Entry[] | null>(null);
  const [query, setQuery] = useState('');
  useEffect(() => {
    ref.current?.querySelector('input')?.focus();
    function away(e: MouseEvent) {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    }
    document.addEventListener('mousedown', away);
    let live = true;
    loadEmoji()
      .then((list) => {
        if (live) setAll(list);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      document.removeEventListener('mousedown', away);
    };
  }, [onClose]);

  const groups = useMemo(() => {
    if (!all) return EMOJI_GROUPS.map((g) => ({ name: g.name, emoji: g.emoji.map((u) => ({ unicode: u, label: u })) }));
    const q = query.trim().toLowerCase();
    if (q) {
      const hits = all.filter((e) => e.label.toLowerCase().includes(q) || e.tags?.some((t) => t.startsWith(q))).slice(0, 160);
      return [{ name: hits.length ? 'Results' : 'Nothing found', emoji: hits }];
    }
    const by = new Map<number, Entry[]>();
    for (const e of all) {
      const list = by.get(e.group!) ?? [];
      list.push(e);
      by.set(e.group!, list);
    }
    return [...by.entries()].map(([g, emoji]) => ({ name: GROUP_NAMES[g] ?? 'Other', emoji }));
  }, [all, query]);

  return (
    <div
      className="emoji-picker"
      ref={ref}
      role="dialog"
      aria-label="Pick an emoji"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <label className="sr-only" htmlFor="emoji-q">
        Search emoji
      </label>
      <input
        id="emoji-q"
        className="emoji-search"
        type="search"
        placeholder="Search emoji"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {!query && (
        <div role="group" aria-label="Frequently used">
          <div className="small muted">Frequently used</div>
          <div className="emoji-grid">
            {QUICK_REACTIONS.map((u) => (
              <button key={u} type="button" className="emoji-btn" onClick={() => onPick(u)} aria-label={u}>
                {u}
              </button>
            ))}
          </div>
        </div>
      )}
      {groups.map((g) => (
        <div key={g.name} role="group" aria-label={g.name}>
          <div className="small muted">{g.name}</div>
          <div className="emoji-grid">
            {g.emoji.map((e) => (
              <button key={e.unicode} type="button" className="emoji-btn" onClick={() => onPick(e.unicode)} aria-label={e.label} title={e.label}>
                {e.unicode}
              </button>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
