import { useEffect, useState } from 'react';
import { useAppSelector } from '../../store';

export function typingText(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

export function TypingIndicator({ roomId, names }: { roomId: number; names: Map<number, string> }) {
  const typing = useAppSelector((s) => s.chat.typing[roomId]);
  const [now, setNow] = useState(() => Date.now());
  const active = Object.entries(typing ?? {}).filter(([, until]) => until > now);
  useEffect(() => {
    if (!typing || Object.keys(typing).length === 0) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [typing]);
  const text = typingText(active.map(([id]) => names.get(Number(id)) ?? 'Someone'));
  return (
    <div className="typing small muted" aria-live="polite" data-testid="typing">
      {text}
    </div>
  );
}
