import { useEffect } from 'react';
import { Outlet, useLocation } from 'react-router';
import { useListOrgsQuery, useListRoomsQuery } from '../api/generated';
import { Sidebar } from '../components/Sidebar';
import { ConnectionBanner } from '../components/ConnectionBanner';
import { useAppSelector } from '../store';

export function Shell() {
  useListRoomsQuery();
  useListOrgsQuery();
  const loc = useLocation();
  const unread = useAppSelector((s) => Object.values(s.rooms.byId).reduce((n, r) => n + (r.unread_count > 0 ? 1 : 0), 0));
  useEffect(() => {
    document.title = unread ? `(${unread}) Parley` : 'Parley';
  }, [unread]);
  useEffect(() => {
    document.body.classList.remove('nav-open');
  }, [loc.pathname]);
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Sidebar />
      <div className="nav-scrim" onClick={() => document.body.classList.remove('nav-open')} aria-hidden="true" />
      <main id="main" className="main" tabIndex={-1}>
        <ConnectionBanner />
        <Outlet />
      </main>
    </div>
  );
}
