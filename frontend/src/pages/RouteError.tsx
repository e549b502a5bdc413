import { isRouteErrorResponse, useRouteError } from 'react-router';

/** Shown instead of a blank page when rendering fails. */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : 'Unknown error';
  return (
    <main className="auth-page">
      <div className="auth-card" role="alert">
        <h1>Something went wrong</h1>
        <p className="muted">{message}</p>
        <button className="btn primary" onClick={() => window.location.assign('/')}>
          Reload Parley
        </button>
      </div>
    </main>
  );
}
