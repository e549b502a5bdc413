import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useJoinRoomMutation, useListPublicRoomsQuery } from '../api/generated';
import { useAppSelector } from '../store';
import { PageHeader, Spinner } from '../components/ui';
import { errorMessage } from '../lib/errors';

export function Discover() {
  const [q, setQ] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, isFetching, error } = useListPublicRoomsQuery({ q: q || undefined, limit: 30, cursor });
  const mine = useAppSelector((s) => s.rooms.byId);
  const [join] = useJoinRoomMutation();
  const navigate = useNavigate();
  const [joinError, setJoinError] = useState<string | null>(null);
  return (
    <div className="page">
      <PageHeader title="Discover rooms" />
      <div className="page-body">
        <div className="field">
          <label htmlFor="discover-q">Search public rooms</label>
          <input id="discover-q" type="search" value={q} onChange={(e) => { setQ(e.target.value); setCursor(undefined); }} placeholder="Room name" />
        </div>
        {error && <div role="alert" className="form-error">{errorMessage(error)}</div>}
        {joinError && <div role="alert" className="form-error">{joinError}</div>}
        {isFetching && !data && <Spinner />}
        <ul className="card-list" aria-label="Public rooms">
          {data?.items.map((r) => (
            <li key={r.id} className="card">
              <div className="card-main">
                <Link to={`/rooms/${r.id}`} className="strong"># {r.title}</Link>
                {r.description && <p className="muted small">{r.description}</p>}
                <span className="muted small">{r.member_count} members</span>
              </div>
              {mine[r.id] ? (
                <Link className="btn small" to={`/rooms/${r.id}`}>Open</Link>
              ) : (
                <button
                  className="btn primary small"
                  aria-label={`Join ${r.title}`}
                  onClick={async () => {
                    try {
                      await join({ roomId: r.id }).unwrap();
                      navigate(`/rooms/${r.id}`);
                    } catch (e) {
                      setJoinError(errorMessage(e));
                    }
                  }}
                >
                  Join
                </button>
              )}
            </li>
          ))}
        </ul>
        {data?.items.length === 0 && <p className="muted">No public rooms match.</p>}
        {data?.next_cursor && (
          <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
            More rooms
          </button>
        )}
      </div>
    </div>
  );
}
