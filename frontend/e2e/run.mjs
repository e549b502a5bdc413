// End-to-end: two users in two browser contexts against a real parley server.
// Usage: node e2e/run.mjs [path-to-parley]   (PARLEY_BIN also works; default ../target/debug/parley)
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParleyServer, freePort } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const bin = resolve(process.argv[2] ?? process.env.PARLEY_BIN ?? join(root, '..', 'target', 'debug', 'parley'));
const dist = join(root, 'dist');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });
if (!existsSync(bin)) throw new Error(`no parley binary at ${bin} (cargo build -p parley-server)`);
if (!existsSync(join(dist, 'index.html'))) throw new Error(`no build at ${dist} (npm run build)`);

const T = 15_000;
const started = Date.now();
const step = (s) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${s}`);

const server = new ParleyServer({ bin, staticDir: dist, port: await freePort() });
await server.start();
step(`server on ${server.url}, db in ${server.dir}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});

const consoleErrors = [];
// While the server is down on purpose, the browser reports refused connections: expected.
let outage = false;
const NETWORK_NOISE = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED|Failed to load resource: net::|ERR_NETWORK_CHANGED|ERR_CONNECTION_RESET/;

async function newUser(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (outage && NETWORK_NOISE.test(text)) return;
    consoleErrors.push(`${name}: ${text}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${name}: pageerror ${err.message}`));
  return { name, context, page };
}

async function texts(page, selector) {
  return page.locator(selector).allInnerTexts();
}

/** The main timeline's message bodies, in DOM order. */
async function timeline(page) {
  return (await texts(page, '.messages article.msg:not(.pending) [data-testid="msg-body"]')).map((t) => t.replace(/\s*\(edited\)\s*$/, '').trim());
}

async function waitTimeline(page, expected, timeout = T) {
  const deadline = Date.now() + timeout;
  let got;
  while (Date.now() < deadline) {
    got = await timeline(page);
    if (JSON.stringify(got) === JSON.stringify(expected)) return;
    await page.waitForTimeout(150);
  }
  throw new Error(`timeline mismatch\nexpected ${JSON.stringify(expected)}\n     got ${JSON.stringify(got)}`);
}

async function register(u, password = 'correct horse battery') {
  const { page } = u;
  await page.goto(`${server.url}/register`);
  await page.getByLabel('Username').fill(u.name);
  await page.getByLabel('Display name (optional)').fill(u.name[0].toUpperCase() + u.name.slice(1));
  await page.getByLabel('Email').fill(`${u.name}@example.com`);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: /Welcome/ }).waitFor({ timeout: T });
  await page.locator('[data-testid="connection"][data-status="online"]').waitFor({ timeout: T });
}

async function send(page, text) {
  const box = page.locator('.room-main textarea[id^="composer-"]');
  await box.fill(text);
  await box.press('Enter');
}

let failed = false;
const alice = await newUser('alice');
const bob = await newUser('bob');
try {
  // --- Sign-up and sign-in screens
  await alice.page.goto(`${server.url}/login`);
  await alice.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await alice.page.screenshot({ path: join(shots, '01-login.png') });
  await alice.page.goto(`${server.url}/register`);
  await alice.page.screenshot({ path: join(shots, '02-register.png') });
  await register(alice);
  await register(bob);
  step('registered alice and bob');

  // --- Alice creates a public room
  await alice.page.getByRole('button', { name: 'Create a room' }).first().click();
  await alice.page.getByLabel('Name').fill('general');
  await alice.page.getByLabel('Description').fill('Everything and nothing');
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Create room' }).click();
  await alice.page.getByRole('heading', { name: /general/ }).waitFor({ timeout: T });
  const roomUrl = alice.page.url();
  step(`alice created ${roomUrl}`);

  // --- Bob finds it in discovery and joins
  await bob.page.getByRole('link', { name: 'Discover rooms' }).click();
  await bob.page.getByRole('button', { name: 'Join general' }).click();
  await bob.page.getByRole('heading', { name: /general/ }).waitFor({ timeout: T });
  await bob.page.locator('.room-main textarea').waitFor({ timeout: T });
  step('bob joined');

  // --- Live messages both ways
  await send(alice.page, 'Hello **Bob**');
  await waitTimeline(bob.page, ['Hello Bob']);
  await waitTimeline(alice.page, ['Hello Bob']);
  if ((await bob.page.locator('.messages strong', { hasText: 'Bob' }).count()) !== 1) throw new Error('markdown not rendered');
  step('alice → bob live');

  // --- Seen by: Bob has the room open, so Alice sees he read it
  await alice.page.locator('[data-testid="seen-by"]', { hasText: 'Seen by Bob' }).waitFor({ timeout: T });
  step('seen by');

  // --- Typing indicator
  await bob.page.locator('.room-main textarea').pressSequentially('Hi Al', { delay: 30 });
  await alice.page.locator('[data-testid="typing"]', { hasText: 'Bob is typing' }).waitFor({ timeout: T });
  await bob.page.locator('.room-main textarea').pressSequentially('ice', { delay: 30 });
  await bob.page.locator('.room-main textarea').press('Enter');
  await waitTimeline(alice.page, ['Hello Bob', 'Hi Alice']);
  await alice.page.locator('[data-testid="typing"]', { hasText: 'typing' }).waitFor({ state: 'detached', timeout: T }).catch(async () => {
    const t = await alice.page.locator('[data-testid="typing"]').innerText();
    if (t.trim()) throw new Error(`typing indicator stuck: ${t}`);
  });
  step('typing + reply');

  // --- Reactions
  const helloOnBob = bob.page.locator('.messages article.msg', { hasText: 'Hello Bob' });
  await helloOnBob.hover();
  await helloOnBob.getByRole('button', { name: 'React with 👍' }).click();
  await alice.page.locator('.messages article.msg', { hasText: 'Hello Bob' }).getByRole('button', { name: /👍 1/ }).waitFor({ timeout: T });
  await bob.page.locator('.messages article.msg', { hasText: 'Hello Bob' }).getByRole('button', { name: /👍 1, including you/ }).waitFor({ timeout: T });
  step('reaction');

  // --- Thread
  const helloOnAlice = alice.page.locator('.messages article.msg', { hasText: 'Hello Bob' });
  await helloOnAlice.hover();
  await helloOnAlice.getByRole('button', { name: 'Reply in thread' }).click();
  const thread = alice.page.getByRole('complementary', { name: 'Thread' });
  await thread.waitFor();
  await thread.locator('textarea').fill('A reply in the thread');
  await thread.locator('textarea').press('Enter');
  await thread.locator('article.msg', { hasText: 'A reply in the thread' }).waitFor({ timeout: T });
  await bob.page.getByRole('button', { name: '1 reply' }).click();
  await bob.page.getByRole('complementary', { name: 'Thread' }).locator('article.msg', { hasText: 'A reply in the thread' }).waitFor({ timeout: T });
  await alice.page.screenshot({ path: join(shots, '03-room-thread.png') });
  await bob.page.getByRole('button', { name: 'Close thread' }).click();
  await alice.page.getByRole('button', { name: 'Close thread' }).click();
  // The reply stays out of the main timeline.
  await waitTimeline(alice.page, ['Hello Bob', 'Hi Alice']);
  step('thread');

  // --- Bob goes offline; Alice sends, edits, deletes; the server crashes and restarts
  outage = true;
  await bob.context.setOffline(true);
  await bob.page.locator('[data-testid="connection"]:not([data-status="online"])').waitFor({ timeout: T });
  await send(alice.page, 'While you were away');
  await send(alice.page, 'This one will be deleted');
  await waitTimeline(alice.page, ['Hello Bob', 'Hi Alice', 'While you were away', 'This one will be deleted']);
  const away = alice.page.locator('.messages article.msg', { hasText: 'While you were away' });
  await away.hover();
  await away.getByRole('button', { name: 'Edit message' }).click();
  await away.locator('textarea').fill('While you were away (I edited this)');
  await away.locator('textarea').press('Enter');
  await alice.page.locator('.messages article.msg', { hasText: 'I edited this' }).locator('.edited').waitFor({ timeout: T });
  const doomed = alice.page.locator('.messages article.msg', { hasText: 'This one will be deleted' });
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete message' }).click();
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await alice.page.locator('.messages article.msg.deleted').waitFor({ timeout: T });
  step('offline edits done; killing the server');

  await server.kill();
  await alice.page.locator('[data-testid="connection"]:not([data-status="online"])').waitFor({ timeout: T });
  await alice.page.locator('.conn-banner.show').waitFor({ timeout: T });
  await alice.page.screenshot({ path: join(shots, '04-reconnecting.png') });
  // Sent while the server is down: queued, shown as pending.
  await send(alice.page, 'Sent during the outage');
  await alice.page.locator('[data-testid="pending"]', { hasText: 'Sent during the outage' }).waitFor({ timeout: T });
  await server.start();
  step('server restarted');
  await alice.page.locator('[data-testid="connection"][data-status="online"]').waitFor({ timeout: 30_000 });
  await alice.page.locator('[data-testid="pending"]').waitFor({ state: 'detached', timeout: T });
  await send(alice.page, 'After the restart');
  const expected = [
    'Hello Bob',
    'Hi Alice',
    'While you were away (I edited this)',
    'This message was deleted.',
    'Sent during the outage',
    'After the restart',
  ];
  await waitTimeline(alice.page, expected);
  step('alice caught up after restart');

  await bob.context.setOffline(false);
  await bob.page.locator('[data-testid="connection"][data-status="online"]').waitFor({ timeout: 30_000 });
  outage = false;
  await waitTimeline(bob.page, expected, 30_000);
  step('bob resumed: every message, edit and delete, in order, once');

  // A fresh load shows the same history from REST.
  await bob.page.reload();
  await waitTimeline(bob.page, expected);
  await bob.page.screenshot({ path: join(shots, '05-room-after-resume.png') });

  // --- More screens
  await bob.page.getByRole('link', { name: 'Discover rooms' }).click();
  await bob.page.getByRole('heading', { name: 'Discover rooms' }).waitFor();
  await bob.page.screenshot({ path: join(shots, '06-discover.png') });

  // --- Phone width
  await alice.page.setViewportSize({ width: 390, height: 800 });
  await alice.page.goto(roomUrl);
  await waitTimeline(alice.page, expected);
  await alice.page.screenshot({ path: join(shots, '07-phone-room.png') });
  await alice.page.getByRole('button', { name: 'Open navigation' }).first().click();
  await alice.page.waitForTimeout(300);
  await alice.page.screenshot({ path: join(shots, '08-phone-nav.png') });

  if (consoleErrors.length) throw new Error(`console errors:\n${consoleErrors.join('\n')}`);
  step('PASS');
} catch (e) {
  failed = true;
  console.error(e);
  for (const u of [alice, bob]) await u.page.screenshot({ path: join(shots, `failure-${u.name}.png`) }).catch(() => {});
  if (consoleErrors.length) console.error(`console errors:\n${consoleErrors.join('\n')}`);
  console.error(`server log tail:\n${server.log.slice(-30).join('')}`);
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
