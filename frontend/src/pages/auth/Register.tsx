import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { useRegisterUserMutation } from '../../api/generated';
import { signIn } from '../../auth/useAuth';
import { errorMessage, fieldErrors } from '../../lib/errors';
import { AuthLayout, Field } from './AuthLayout';

export function Register() {
  const [register, { isLoading }] = useRegisterUserMutation();
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const { search } = useLocation();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    setFields({});
    try {
      const pair = await register({
        registerRequest: {
          username: String(f.get('username')).trim(),
          email: String(f.get('email')).trim(),
          password: String(f.get('password')),
          display_name: String(f.get('display_name') || '').trim() || null,
        },
      }).unwrap();
      signIn(pair);
    } catch (err) {
      const fe = fieldErrors(err);
      setFields(fe);
      if (!Object.keys(fe).length) setError(errorMessage(err, 'Could not create the account'));
    }
  }

  return (
    <AuthLayout title="Create your account" footer={<>Already have one? <Link to={`/login${search}`}>Sign in</Link></>}>
      <form onSubmit={submit} aria-label="Create account">
        <Field label="Username" name="username" autoComplete="username" required minLength={3} maxLength={32}
          pattern="[A-Za-z0-9_.\-]+" title="3–32 letters, digits, _ . -" error={fields.username} autoFocus />
        <Field label="Display name (optional)" name="display_name" autoComplete="name" error={fields.display_name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={8}
          maxLength={128} error={fields.password} />
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <button className="btn primary wide" disabled={isLoading}>
          {isLoading ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}
