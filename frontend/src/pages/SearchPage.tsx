import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSearchMessagesQuery, type SearchHit } from '../api/generated';
import { useAppSelector } from '../store';
import { PageHeader, Spinner } from '../components/ui';
import { errorMessage } from '../lib/errors';
import { fullTime } from '../lib/time';

/** The body with the server's highlight ranges (character offsets) marked. */
export function highlighted(hit: SearchHit): ReactNode[] {
  const chars = Array.from(hit.message.body);
  const out: ReactNode[] = [];
  let at = 0;
  const ranges = [...hit.highlights].sort((a, b) => a.start - b.start);
  ranges.forEach((h, i) => {
    if (h.start > at) out.push(chars.slice(at, h.start).join(''));
    out.push(<mark key={i}>{chars.slice(Math.max(h.start, at), h.end).join('')}</mark>);
    at = Math.max(at, h.end);
  });
  if (at < chars.length) out.push(chars.slice(at).join(''));
  return out;
}

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const roomFilter = params.get('room') ? Number(params.get('room')) : undefined;
  const [cursor, setCursor] = useState<string | undefined>();
  const rooms = useAppSelector((s) => s.rooms.byId);
  const { data, isFetching, error } = useSearchMessagesQuery({ q, roomId: roomFilter, limit: 30, cursor }, { skip: !q });

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    const nq = String(f.get('q') ?? '').trim();
    if (nq) next.set('q', nq);
    const r = String(f.get('room') ?? '');
    if (r) next.set('room', r);
    setCursor(undefined);
    setParams(next);
  }

  return (
    <div className="page">
      <PageHeader title="Search" />
      <div className="page-body">
        <form role="search" aria-label="Search messages" onSubmit={submit} className="row" key={`${q}-${roomFilter}`}>
          <label htmlFor="search-q" className="sr-only">Search words</label>
          <input id="search-q" name="q" type="search" defaultValue={q} placeholder="Words to find" className="grow-input" autoFocus />
          <label htmlFor="search-room" className="sr-only">In room</label>
          <select id="search-room" name="room" defaultValue={roomFilter ?? ''}>
            <option value="">All my rooms</option>
            {Object.values(rooms).map((r) => (
              <option key={r.id} value={r.id}>{r.title}</option>
            ))}
          </select>
          <button className="btn primary">Search</button>
        </form>
        {error && <div role="alert" className="form-error">{errorMessage(error)}</div>}
        {isFetching && <Spinner label="Searching" />}
        {data && (
          <p className="muted small" role="status">
            {data.items.length ? `${data.items.length}${data.next_cursor ? '+' : ''} results` : 'No messages match.'}
          </p>
        )}
        <ul className="card-list" aria-label="Results">
          {data?.items.map((hit) => (
            <li key={`${hit.message.room_id}-${hit.message.seq}`}>
              <Link className="result" to={`/rooms/${hit.message.room_id}?msg=${hit.message.seq}`}>
                <div className="small muted">
                  #{rooms[hit.message.room_id]?.title ?? hit.message.room_id} · {hit.message.author.display_name} ·{' '}
                  {fullTime(hit.message.created_at)}
                </div>
                <div>{highlighted(hit)}</div>
              </Link>
            </li>
          ))}
        </ul>
        {data?.next_cursor && (
          <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
            Next results
          </button>
        )}
      </div>
    </div>
  );
}
