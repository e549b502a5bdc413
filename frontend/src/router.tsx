import { createBrowserRouter, Navigate, Outlet, useLocation, useParams } from 'react-router';
import { useSessionLifecycle, useStoredAuth } from './auth/useAuth';
import { Login } from './pages/auth/Login';
import { Register } from './pages/auth/Register';
import { ForgotPassword, ResetPassword, VerifyEmail } from './pages/auth/Passwords';
import { Shell } from './pages/Shell';
import { Home } from './pages/Home';
import { RoomPage } from './pages/RoomPage';
import { NotFound } from './pages/NotFound';
import { RouteError } from './pages/RouteError';

/** The one owner of the session's lifecycle (store, socket); everything else only reads it. */
function Root() {
  useSessionLifecycle();
  return <Outlet />;
}

/** One RoomPage instance per room: nothing of one room's view survives into another's. */
function RoomRoute() {
  const { roomId } = useParams();
  return <RoomPage key={roomId} />;
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
          { path: '/rooms/:roomId', element: <RoomRoute /> },
          { path: '/rooms/:roomId/settings', lazy: async () => ({ Component: (await import('./pages/RoomSettings')).RoomSettings }) },
          { path: '/discover', lazy: async () => ({ Component: (await import('./pages/Discover')).Discover }) },
          { path: '/invite/:code', lazy: async () => ({ Component: (await import('./pages/InvitePage')).InvitePage }) },
          { path: '/search', lazy: async () => ({ Component: (await import('./pages/SearchPage')).SearchPage }) },
          { path: '/notifications', lazy: async () => ({ Component: (await import('./pages/NotificationsPage')).NotificationsPage }) },
          { path: '/settings', lazy: async () => ({ Component: (await import('./pages/SettingsPage')).SettingsPage }) },
          { path: '/orgs/:orgId', lazy: async () => ({ Component: (await import('./pages/OrgPage')).OrgPage }) },
          { path: '/admin', lazy: async () => ({ Component: (await import('./pages/AdminPage')).AdminPage }) },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
];

export const router = createBrowserRouter(routes);
