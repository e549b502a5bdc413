import { createBrowserRouter, Navigate, Outlet, useLocation } from 'react-router';
import { useSessionLifecycle, useStoredAuth } from './auth/useAuth';
import { Login } from './pages/auth/Login';
import { Register } from './pages/auth/Register';
import { ForgotPassword, ResetPassword, VerifyEmail } from './pages/auth/Passwords';
import { Shell } from './pages/Shell';
import { Home } from './pages/Home';
import { RoomPage } from './pages/RoomPage';
import { Discover } from './pages/Discover';
import { InvitePage } from './pages/InvitePage';
import { SearchPage } from './pages/SearchPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { SettingsPage } from './pages/SettingsPage';
import { RoomSettings } from './pages/RoomSettings';
import { OrgPage } from './pages/OrgPage';
import { AdminPage } from './pages/AdminPage';
import { NotFound } from './pages/NotFound';
import { RouteError } from './pages/RouteError';

/** The one owner of the session's lifecycle (store, socket); everything else only reads it. */
function Root() {
  useSessionLifecycle();
  return <Outlet />;
}

function RequireAuth() {
  const auth = useStoredAuth();
  const loc = useLocation();
  if (!auth) return <Navigate to={`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  return <Shell />;
}

function GuestOnly() {
  const auth = useStoredAuth();
  const loc = useLocation();
  if (auth) {
    const next = new URLSearchParams(loc.search).get('next');
    return <Navigate to={next && next.startsWith('/') ? next : '/'} replace />;
  }
  return <Outlet />;
}

export const routes = [
  {
    element: <Root />,
    errorElement: <RouteError />,
    children: [
      {
        element: <GuestOnly />,
        children: [
          { path: '/login', element: <Login /> },
          { path: '/register', element: <Register /> },
          { path: '/forgot-password', element: <ForgotPassword /> },
        ],
      },
      { path: '/reset-password', element: <ResetPassword /> },
      { path: '/verify-email', element: <VerifyEmail /> },
      {
        element: <RequireAuth />,
        children: [
          { path: '/', element: <Home /> },
          { path: '/rooms/:roomId', element: <RoomPage /> },
          { path: '/rooms/:roomId/settings', element: <RoomSettings /> },
          { path: '/discover', element: <Discover /> },
          { path: '/invite/:code', element: <InvitePage /> },
          { path: '/search', element: <SearchPage /> },
          { path: '/notifications', element: <NotificationsPage /> },
          { path: '/settings', element: <SettingsPage /> },
          { path: '/orgs/:orgId', element: <OrgPage /> },
          { path: '/admin', element: <AdminPage /> },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
];

export const router = createBrowserRouter(routes);
