import { useEffect, useRef, type ReactNode } from 'react';
import { Icon } from './Icon';

const COLORS = ['#4f46e5', '#0891b2', '#059669', '#d97706', '#dc2626', '#7c3aed', '#db2777', '#2563eb'];

export function Avatar({
  name,
  id,
  size = 32,
  online,
  url,
}: {
  name: string;
  id: number;
  size?: number;
  online?: boolean;
  url?: string | null;
}) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]!.toUpperCase())
    .join('');
  return (
    <span className="avatar" style={{ width: size, height: size, background: COLORS[id % COLORS.length], fontSize: size * 0.4 }} aria-hidden="true">
      {url && /^https:\/\//.test(url) ? (
        <img src={url} alt="" width={size} height={size} className="avatar-img" referrerPolicy="no-referrer" />
      ) : (
        initials || '?'
      )}
      {online !== undefined && <span className={`presence-dot ${online ? 'online' : 'offline'}`} />}
    </span>
  );
}

export function PresenceDot({ online }: { online: boolean }) {
  return (
    <span
      className={`presence-dot inline ${online ? 'online' : 'offline'}`}
      role="img"
      aria-label={online ? 'online' : 'offline'}
      title={online ? 'Online' : 'Offline'}
    />
  );
}

/** A modal dialog on the native <dialog> element (focus trap, Escape, inert page). */
export function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal?.();
    return () => d?.close?.();
  }, []);
  return (
    <dialog ref={ref} className="modal" aria-labelledby="modal-title" onClose={onClose} onCancel={onClose}>
      <div className="modal-head">
        <h2 id="modal-title">{title}</h2>
        <button className="icon-btn" onClick={onClose} aria-label="Close dialog">
          <Icon name="close" />
        </button>
      </div>
      {children}
    </dialog>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-ring" aria-hidden="true" />
      <span className="sr-only">{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <MenuButton />
      <h1>{title}</h1>
      <div className="page-header-actions">{children}</div>
    </header>
  );
}

/** Opens the sidebar on phone widths. */
export function MenuButton() {
  return (
    <button
      className="icon-btn menu-btn"
      aria-label="Open navigation"
      onClick={() => document.body.classList.toggle('nav-open')}
    >
      <Icon name="menu" size={20} />
    </button>
  );
}
