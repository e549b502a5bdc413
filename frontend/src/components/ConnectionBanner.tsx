import { useAppSelector } from '../store';
import { getSocket } from '../realtime/client';

const LABEL: Record<string, string> = {
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages will be sent when you are back.',
};

export function ConnectionBanner() {
  const status = useAppSelector((s) => s.session.connection);
  const retry = useAppSelector((s) => s.session.retryInMs);
  const show = status === 'reconnecting' || status === 'offline';
  return (
    <div className={`conn-banner ${show ? 'show' : ''}`} role="status" aria-live="polite" data-connection={status}>
      {show && (
        <>
          <span>{LABEL[status]}</span>
          {status === 'reconnecting' && retry !== null && retry > 1500 && (
            <button className="link-btn" onClick={() => getSocket()?.reconnectNow()}>
              Retry now
            </button>
          )}
        </>
      )}
    </div>
  );
}

export function ConnectionDot() {
  const status = useAppSelector((s) => s.session.connection);
  const label = status === 'online' ? 'Connected' : status === 'offline' ? 'Offline' : 'Connecting';
  return (
    <span className={`conn-dot ${status}`} role="img" aria-label={`Connection: ${label}`} title={label} data-testid="connection" data-status={status} />
  );
}
