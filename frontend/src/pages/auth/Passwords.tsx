import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useForgotPasswordMutation, useResetPasswordMutation, useVerifyEmailMutation } from '../../api/generated';
import { errorMessage, fieldErrors } from '../../lib/errors';
import { AuthLayout, Field } from './AuthLayout';

function hashToken(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

export function ForgotPassword() {
  const [forgot, { isLoading, isSuccess }] = useForgotPasswordMutation();
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    try {
      await forgot({ forgotPasswordRequest: { email: String(new FormData(e.currentTarget).get('email')) } }).unwrap();
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  return (
    <AuthLayout title="Reset your password" footer={<Link to="/login">Back to sign in</Link>}>
      {isSuccess ? (
        <p role="status">If an account uses that address, a reset link is on its way. It works once, for 30 minutes.</p>
      ) : (
        <form onSubmit={submit} aria-label="Request a reset link">
          <Field label="Email" name="email" type="email" autoComplete="email" required autoFocus />
          {error && <div className="form-error" role="alert">{error}</div>}
          <button className="btn primary wide" disabled={isLoading}>Send reset link</button>
        </form>
      )}
    </AuthLayout>
  );
}

export function ResetPassword() {
  const [reset, { isLoading, isSuccess }] = useResetPasswordMutation();
  const [error, setError] = useState<string | null>(null);
  const [token] = useState(hashToken);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    const f = new FormData(e.currentTarget);
    if (f.get('new_password') !== f.get('confirm')) {
      setError('The passwords differ');
      return;
    }
    try {
      await reset({ resetPasswordRequest: { token, new_password: String(f.get('new_password')) } }).unwrap();
    } catch (err) {
      const fe = fieldErrors(err);
      setError(fe.new_password ?? fe.token ?? errorMessage(err));
    }
  }
  return (
    <AuthLayout title="Choose a new password" footer={<Link to="/login">Back to sign in</Link>}>
      {!token ? (
        <p role="alert">This link is incomplete. Ask for a new one from the sign-in page.</p>
      ) : isSuccess ? (
        <p role="status">
          Your password is changed and every device was signed out. <Link to="/login">Sign in</Link>
        </p>
      ) : (
        <form onSubmit={submit} aria-label="Choose a new password">
          <Field label="New password" name="new_password" type="password" autoComplete="new-password" required minLength={8} />
          <Field label="Repeat it" name="confirm" type="password" autoComplete="new-password" required minLength={8} />
          {error && <div className="form-error" role="alert">{error}</div>}
          <button className="btn primary wide" disabled={isLoading}>Set password</button>
        </form>
      )}
    </AuthLayout>
  );
}

export function VerifyEmail() {
  const [verify, { isSuccess, isError, error }] = useVerifyEmailMutation();
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const token = hashToken();
    if (token) verify({ verifyEmailRequest: { token } });
  }, [verify]);
  return (
    <AuthLayout title="Confirm your email" footer={<Link to="/">Open Parley</Link>}>
      {isSuccess && <p role="status">Thanks, your address is confirmed.</p>}
      {isError && <p role="alert">{errorMessage(error, 'This link has expired or was used already.')}</p>}
      {!isSuccess && !isError && <p>Checking…</p>}
    </AuthLayout>
  );
}
