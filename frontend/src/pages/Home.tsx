import { useState } from 'react';
import { Link } from 'react-router';
import { useAppSelector } from '../store';
import { PageHeader } from '../components/ui';
import { CreateRoomDialog } from '../components/Dialogs';

export function Home() {
  const user = useAppSelector((s) => s.session.user);
  const count = useAppSelector((s) => Object.keys(s.rooms.byId).length);
  const [create, setCreate] = useState(false);
  return (
    <div className="page">
      <PageHeader title={`Welcome${user ? `, ${user.display_name || user.username}` : ''}`} />
      <div className="page-body home">
        <p className="lead">
          {count ? 'Pick a room on the left, or start something new.' : 'You are not in any room yet. Start one, or find one to join.'}
        </p>
        <div className="row">
          <button className="btn primary" onClick={() => setCreate(true)}>
            Create a room
          </button>
          <Link className="btn" to="/discover">
            Discover public rooms
          </Link>
        </div>
      </div>
      {create && <CreateRoomDialog onClose={() => setCreate(false)} />}
    </div>
  );
}
