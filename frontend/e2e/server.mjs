// Starts and kills a real `parley` server on a temporary SQLite database.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export class ParleyServer {
  constructor({ bin, staticDir, port, dir, env = {} }) {
    this.extraEnv = env;
    this.bin = bin;
    this.staticDir = staticDir;
    this.port = port;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'parley-e2e-'));
    mkdirSync(join(this.dir, 'outbox'), { recursive: true });
    this.proc = null;
    this.log = [];
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  env() {
    return {
      ...process.env,
      DATABASE_URL: `sqlite://${join(this.dir, 'parley.db')}`,
      PARLEY_BIND: `127.0.0.1:${this.port}`,
      PARLEY_PUBLIC_URL: this.url,
      PARLEY_STATIC_DIR: this.staticDir,
      PARLEY_RATE_LIMITS: 'off',
      PARLEY_OUTBOX_DIR: join(this.dir, 'outbox'),
      PARLEY_LOG: process.env.PARLEY_LOG ?? 'warn',
      ...this.extraEnv,
    };
  }

  async start() {
    const proc = spawn(this.bin, ['serve'], { env: this.env(), cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (d) => {
      this.log.push(String(d));
      if (this.log.length > 400) this.log.shift();
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const exited = new Promise((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`parley exited early (${code}):\n${this.log.join('')}`))),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const res = await Promise.race([fetch(`${this.url}/api/health`), exited]);
        if (res.ok) {
          proc.removeAllListeners('exit');
          return;
        }
      } catch (e) {
        if (String(e.message).startsWith('parley exited')) throw e;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`parley did not answer /api/health:\n${this.log.join('')}`);
  }

  /** Run a one-off subcommand (e.g. create-admin) on the same database. */
  async cli(args, env = {}) {
    const proc = spawn(this.bin, args, { env: { ...this.env(), ...env }, cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const code = await new Promise((r) => proc.once('exit', r));
    if (code !== 0) throw new Error(`parley ${args.join(' ')} failed (${code}): ${out}`);
    return out;
  }

  /** SIGKILL: a crash, not a graceful shutdown. */
  async kill() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await done;
    this.proc = null;
  }

  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
    await done;
    clearTimeout(t);
    this.proc = null;
  }
}
