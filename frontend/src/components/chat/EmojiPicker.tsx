import { useEffect, useRef } from 'react';
import { EMOJI_GROUPS } from '../../lib/emoji';

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    function away(e: MouseEvent) {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    }
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [onClose]);
  return (
    <div
      className="emoji-picker"
      ref={ref}
      role="dialog"
      aria-label="Pick an emoji"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      {EMOJI_GROUPS.map((g) => (
        <div key={g.name} role="group" aria-label={g.name}>
          <div className="small muted">{g.name}</div>
          <div className="emoji-grid">
            {g.emoji.map((e) => (
              <button key={e} className="emoji-btn" onClick={() => onPick(e)} aria-label={e}>
                {e}
              </button>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
