import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { useLoginUserMutation } from '../../api/generated';
import { signIn } from '../../auth/useAuth';
import { errorMessage } from '../../lib/errors';
import { AuthLayout, Field } from './AuthLayout';

export function Login() {
  const [login, { isLoading }] = useLoginUserMutation();
  const [error, setError] = useState<string | null>(null);
  const { search } = useLocation();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    try {
      const pair = await login({
        loginRequest: { username: String(form.get('username')), password: String(form.get('password')) },
      }).unwrap();
      signIn(pair);
    } catch (err) {
      setError(errorMessage(err, 'Could not sign in'));
    }
  }

  return (
    <AuthLayout
      title="Sign in"
      footer={
        <>
          <Link to="/forgot-password">Forgot your password?</Link> · New here? <Link to={`/register${search}`}>Create an account</Link>
        </>
      }
    >
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="Username or email" name="username" autoComplete="username" required autoFocus />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <button className="btn primary wide" disabled={isLoading}>
          {isLoading ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
