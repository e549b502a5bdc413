import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useListNotificationsQuery, useReadNotificationsMutation, type Notification } from '../api/generated';
import { useAppDispatch } from '../store';
import { sessionActions } from '../store/sessionSlice';
import { PageHeader, Spinner } from '../components/ui';
import { ago } from '../lib/time';

const KIND: Record<string, string> = {
  mention: 'mentioned you',
  direct: 'sent you a message',
  invite: 'invited you',
  announcement: 'posted an announcement',
};

function target(n: Notification) {
  if (n.room_id && n.seq) return `/rooms/${n.room_id}?msg=${n.seq}`;
  if (n.room_id) return `/rooms/${n.room_id}`;
  return '/notifications';
}

export function NotificationsPage() {
  const dispatch = useAppDispatch();
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, isLoading } = useListNotificationsQuery({ limit: 50, cursor });
  const [markRead] = useReadNotificationsMutation();
  useEffect(() => {
    dispatch(sessionActions.notificationsSeen());
  }, [dispatch, data]);
  const unread = data?.items.filter((n) => !n.read).length ?? 0;
  return (
    <div className="page">
      <PageHeader title="Notifications">
        <button className="btn small" disabled={!unread} onClick={() => markRead({ readNotificationsRequest: { all: true } })}>
          Mark all read
        </button>
      </PageHeader>
      <div className="page-body">
        {isLoading && <Spinner />}
        {data?.items.length === 0 && <p className="muted">Nothing yet. Mentions, direct messages and invitations show up here.</p>}
        <ul className="card-list" aria-label="Notifications">
          {data?.items.map((n) => (
            <li key={n.id} className={`card ${n.read ? '' : 'unread-card'}`}>
              <div className="card-main">
                <span>
                  {!n.read && <span className="sr-only">Unread: </span>}
                  <strong>{n.actor?.display_name ?? 'Someone'}</strong> {KIND[n.kind] ?? n.kind}{' '}
                  <span className="muted small">{ago(n.created_at)}</span>
                </span>
                {n.body && <span className="muted">{n.body}</span>}
              </div>
              <Link
                className="btn small"
                to={target(n)}
                onClick={() => {
                  if (!n.read) markRead({ readNotificationsRequest: { ids: [n.id] } });
                }}
              >
                Open
              </Link>
            </li>
          ))}
        </ul>
        {data?.next_cursor && (
          <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
            Older
          </button>
        )}
      </div>
    </div>
  );
}
