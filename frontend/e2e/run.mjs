// End-to-end: two users in two browser contexts against a real parley server.
// Usage: node e2e/run.mjs [path-to-parley]   (PARLEY_BIN also works; default ../target/debug/parley)
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ParleyServer, freePort } from './server.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const a11yProblems = [];

/** axe-core over the current screen; any violation (minor to critical) fails the run. */
async function a11y(page, screen) {
  // Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') allows it.
  await page.evaluate(`${axeSource}\n;0`);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact)
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  for (const v of result) a11yProblems.push(`${screen}: ${v}`);
}

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

// Short-lived access tokens, so the run exercises refresh (and its coordination between
// two tabs of one user) many times over.
const TOKEN_TTL = 8;
// A short event log per room (pruned at start-up), so a long absence ends in resync_required.
const LOG_EVENTS = 25;
const server = new ParleyServer({
  bin,
  staticDir: dist,
  port: await freePort(),
  env: { PARLEY_ACCESS_TOKEN_TTL_SECS: String(TOKEN_TTL), PARLEY_EVENT_LOG_EVENTS: String(LOG_EVENTS) },
});
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

// Contexts whose session is ended on purpose: their 401s are expected.
const kicked = new Set();

function watch(name, page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (outage && NETWORK_NOISE.test(text)) return;
    if (kicked.has(name) && /status of 401/.test(text)) return;
    consoleErrors.push(`${name}: ${text}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${name}: pageerror ${err.message}`));
  if (process.env.E2E_DEBUG) {
    page.on('requestfinished', async (req) => {
      const t = req.timing();
      const ms = t.responseEnd;
      if (ms > 500) console.log(`  slow ${name} ${req.method()} ${req.url()} ${Math.round(ms)}ms`);
    });
    page.on('requestfailed', (req) => console.log(`  failed ${name} ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  }
}

async function newUser(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  watch(name, page);
  const u = { name, context, page, frames: [] };
  // Every server frame this user's sockets receive (types only).
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      try {
        const frame = JSON.parse(String(f.payload));
        u.frames.push(frame.type);
        if (frame.type === 'error') console.log(`  ${name} got an error frame: ${JSON.stringify(frame)}`);
      } catch {
        /* not JSON */
      }
    }),
  );
  return u;
}

async function login(u, username, password = 'correct horse battery') {
  await u.page.goto(`${server.url}/login`);
  await u.page.getByLabel('Username or email').fill(username);
  await u.page.getByLabel('Password').fill(password);
  await u.page.getByRole('button', { name: 'Sign in' }).click();
  await u.page.getByRole('heading', { name: /Welcome/ }).waitFor({ timeout: T });
}

/** Talk to the API from the test itself, in a session of its own (refreshed as needed). */
async function apiAs(username, work, password = 'correct horse battery') {
  const post = async (path, body, token) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  let pair = await post('/api/login', { username, password });
  let expires = Date.now() + pair.expires_in * 1000;
  const call = async (method, path, body) => {
    if (expires - Date.now() < 3000) {
      pair = await post('/api/token/refresh', { refresh_token: pair.refresh_token });
      expires = Date.now() + pair.expires_in * 1000;
    }
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${pair.access_token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  return work(call);
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
  await a11y(alice.page, 'login');
  await alice.page.goto(`${server.url}/register`);
  await alice.page.screenshot({ path: join(shots, '02-register.png') });
  await a11y(alice.page, 'register');
  await register(alice);
  await register(bob);
  step('registered alice and bob');
  // A second tab of Alice's: same session, same tokens.
  const aliceTab2 = await alice.context.newPage();
  watch('alice-tab2', aliceTab2);
  await aliceTab2.goto(server.url);
  await aliceTab2.getByRole('heading', { name: /Welcome/ }).waitFor({ timeout: T });
  // Background tabs get no animation frames (and are 'hidden'): keep the first one in front.
  await alice.page.bringToFront();

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
  // Any emoji, found by name in the picker.
  await helloOnBob.hover();
  await helloOnBob.getByRole('button', { name: 'Add reaction' }).click();
  await bob.page.getByLabel('Search emoji').fill('rocket');
  await bob.page.getByRole('dialog', { name: 'Pick an emoji' }).getByRole('button', { name: 'rocket', exact: true }).click();
  await alice.page.locator('.messages article.msg', { hasText: 'Hello Bob' }).getByRole('button', { name: /🚀 1/ }).waitFor({ timeout: T });
  step('reaction');

  // --- Thread
  const helloOnAlice = alice.page.locator('.messages article.msg', { hasText: 'Hello Bob' });
  await helloOnAlice.hover();
  await helloOnAlice.getByRole('button', { name: 'Reply in thread' }).click();
  step('thread: opened');
  const thread = alice.page.getByRole('complementary', { name: 'Thread' });
  await thread.waitFor();
  await thread.locator('textarea').fill('A reply in the thread');
  await thread.locator('textarea').press('Enter');
  await thread.locator('article.msg', { hasText: 'A reply in the thread' }).waitFor({ timeout: T });
  step('thread: replied');
  await bob.page.getByRole('button', { name: '1 reply' }).click();
  await bob.page.getByRole('complementary', { name: 'Thread' }).locator('article.msg', { hasText: 'A reply in the thread' }).waitFor({ timeout: T });
  step('thread: bob sees it');
  await alice.page.screenshot({ path: join(shots, '03-room-thread.png') });
  await a11y(alice.page, 'room with thread');
  await bob.page.getByRole('button', { name: 'Close thread' }).click();
  await alice.page.getByRole('button', { name: 'Close thread' }).click();
  // The reply stays out of the main timeline.
  await waitTimeline(alice.page, ['Hello Bob', 'Hi Alice']);
  step('thread');

  // --- Pins
  const helloPin = alice.page.locator('.messages article.msg', { hasText: 'Hello Bob' });
  await helloPin.hover();
  await helloPin.getByRole('button', { name: 'Pin message' }).click();
  await bob.page.getByRole('button', { name: 'Pinned messages' }).click();
  await bob.page.getByRole('dialog', { name: 'Pinned messages' }).getByText('Hello').waitFor({ timeout: T });
  await a11y(bob.page, 'pins dialog');
  await bob.page.getByRole('button', { name: 'Close dialog' }).click();
  step('pinned');

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
  let expected = [
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

  // --- Mentions: autocomplete, notification, unread badge (Bob is elsewhere)
  await bob.page.getByRole('link', { name: 'Discover rooms' }).click();
  await bob.page.getByRole('heading', { name: 'Discover rooms' }).waitFor();
  const box = alice.page.locator('.room-main textarea[id^="composer-"]');
  await box.pressSequentially('Look @bo', { delay: 20 });
  await alice.page.getByRole('option', { name: /@bob/ }).waitFor({ timeout: T });
  await box.press('Enter');
  if ((await box.inputValue()) !== 'Look @bob ') throw new Error(`mention not completed: ${await box.inputValue()}`);
  await box.pressSequentially('at this', { delay: 10 });
  await box.press('Enter');
  expected.push('Look @bob at this');
  await waitTimeline(alice.page, expected);
  await bob.page.getByRole('link', { name: /general\W*1 unread/ }).waitFor({ timeout: T });
  await bob.page.getByRole('link', { name: /Notifications/ }).locator('.badge').waitFor({ timeout: T });
  await bob.page.getByRole('link', { name: /Notifications/ }).click();
  const note = bob.page.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: 'mentioned you' });
  await note.waitFor({ timeout: T });
  await bob.page.screenshot({ path: join(shots, '06-notifications.png') });
  await a11y(bob.page, 'notifications');
  await note.getByRole('link', { name: 'Open' }).click();
  await bob.page.locator('.messages article.msg.highlight', { hasText: 'Look @bob at this' }).waitFor({ timeout: T });
  await bob.page.getByRole('link', { name: /^general$/ }).waitFor({ timeout: T }); // read: badge gone
  step('mention, notification, unread badge');

  // --- Search and jump to a message
  await bob.page.getByLabel('Search messages').fill('edited');
  await bob.page.getByLabel('Search messages').press('Enter');
  const hit = bob.page.getByRole('list', { name: 'Results' }).getByRole('link').first();
  await hit.waitFor({ timeout: T });
  const marked = await hit.locator('mark').allInnerTexts();
  if (!marked.length || !marked.every((t) => t.toLowerCase().startsWith('edit'))) throw new Error(`search highlights: ${JSON.stringify(marked)}`);
  await bob.page.screenshot({ path: join(shots, '07-search.png') });
  await a11y(bob.page, 'search');
  await hit.click();
  await bob.page.locator('.messages article.msg.highlight', { hasText: 'I edited this' }).waitFor({ timeout: T });
  step('search + jump');

  // --- Private room and an invite link
  await alice.page.getByRole('button', { name: 'Create a room' }).first().click();
  await alice.page.getByLabel('Name').fill('secret plans');
  await alice.page.getByLabel(/Private/).check();
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Create room' }).click();
  await alice.page.getByRole('heading', { name: /secret plans/ }).waitFor({ timeout: T });
  await alice.page.getByRole('link', { name: 'Room settings' }).click();
  await alice.page.getByRole('tab', { name: 'Invites' }).click();
  await alice.page.getByRole('button', { name: 'Create invite link' }).click();
  const inviteUrl = (await alice.page.locator('.invite-url').first().innerText({ timeout: T })).trim();
  await alice.page.screenshot({ path: join(shots, '08-room-settings-invites.png') });
  await a11y(alice.page, 'room settings');
  await bob.page.goto(inviteUrl);
  await bob.page.getByText(/invites you to join the room/).waitFor({ timeout: T });
  await bob.page.getByRole('button', { name: 'Accept invitation' }).click();
  await bob.page.getByRole('heading', { name: /secret plans/ }).waitFor({ timeout: T });
  await bob.page.locator('.room-main textarea').waitFor({ timeout: T });
  await alice.page.getByRole('tab', { name: 'Members' }).click();
  await alice.page.getByRole('list', { name: 'Members' }).getByText('Bob', { exact: true }).waitFor({ timeout: T });
  step('invite link accepted');
  // Someone without an account follows the same link: sign-up, then straight back to it.
  const carol = await newUser('carol');
  await carol.page.goto(inviteUrl);
  await carol.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: T });
  await carol.page.getByRole('link', { name: 'Create an account' }).click();
  await carol.page.getByLabel('Username').fill('carol');
  await carol.page.getByLabel('Email').fill('carol@example.com');
  await carol.page.getByLabel('Password').fill('correct horse battery');
  await carol.page.getByRole('button', { name: 'Create account' }).click();
  await carol.page.getByRole('button', { name: 'Accept invitation' }).click();
  await carol.page.getByRole('heading', { name: /secret plans/ }).waitFor({ timeout: T });
  await carol.context.close();
  step('invite link for a new user: sign-up, then accepted');

  // --- Direct chat, with presence
  await bob.page.getByRole('button', { name: 'New direct message' }).click();
  await bob.page.getByLabel('Find people').fill('ali');
  await bob.page.getByRole('dialog').getByRole('button', { name: /Alice/ }).click();
  // The direct chat's own composer: the room Bob was in keeps its composer until the
  // new room renders, and text typed into it is lost with it.
  await bob.page.getByPlaceholder('Message Alice', { exact: true }).waitFor({ timeout: T });
  await send(bob.page, 'psst, a direct message');
  await waitTimeline(bob.page, ['psst, a direct message']);
  // ↑ in the empty composer edits one's last message.
  await bob.page.locator('.room-main textarea[id^="composer-"]').press('ArrowUp');
  const dmEdit = bob.page.getByLabel('Edit message', { exact: true });
  await dmEdit.fill('psst, a direct message (fixed)');
  await dmEdit.press('Enter');
  await waitTimeline(bob.page, ['psst, a direct message (fixed)']);
  await alice.page.getByRole('link', { name: /^Bob\W*1 unread, online$/ }).click();
  await alice.page.getByRole('heading', { name: /Bob/ }).getByRole('img', { name: 'online' }).waitFor({ timeout: T });
  await waitTimeline(alice.page, ['psst, a direct message (fixed)']);
  step('direct message, unread, presence');

  // --- Both tabs of Alice refresh at once, long after the access token expired
  await alice.page.waitForTimeout((TOKEN_TTL + 1) * 1000);
  await Promise.all([alice.page.goto(roomUrl), aliceTab2.goto(roomUrl)]);
  await waitTimeline(alice.page, expected);
  await waitTimeline(aliceTab2, expected);
  await aliceTab2.locator('[data-testid="connection"][data-status="online"]').waitFor({ timeout: T });
  await aliceTab2.bringToFront();
  await send(aliceTab2, 'From my second tab');
  expected.push('From my second tab');
  await alice.page.bringToFront();
  await waitTimeline(alice.page, expected);
  await bob.page.goto(roomUrl);
  await waitTimeline(bob.page, expected);
  step('two tabs kept one session through many token refreshes');

  // --- Sessions: log out other devices
  const laptop = await newUser('alice-laptop');
  await login(laptop, 'alice');
  await alice.page.getByRole('link', { name: 'Profile and settings' }).click();
  await alice.page.getByLabel('About you').fill('I test things.');
  await alice.page.getByRole('button', { name: 'Save profile' }).click();
  await alice.page.getByText('Saved.').waitFor({ timeout: T });
  await alice.page.getByRole('tab', { name: 'Sessions' }).click();
  await alice.page.getByRole('list', { name: 'Sessions' }).getByRole('listitem').nth(1).waitFor({ timeout: T });
  await alice.page.screenshot({ path: join(shots, '09-settings-sessions.png') });
  await a11y(alice.page, 'settings');
  kicked.add('alice-laptop');
  await alice.page.getByRole('button', { name: 'Log out other devices' }).click();
  await alice.page.getByText('Other devices are signed out.').waitFor({ timeout: T });
  await laptop.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: T });
  // This device (both tabs) stays signed in.
  await aliceTab2.goto(`${server.url}/`);
  await aliceTab2.getByRole('heading', { name: /Welcome/ }).waitFor({ timeout: T });
  await laptop.context.close();
  step('other devices logged out; this one kept');

  // --- A long history: pages load upward as you scroll (before=), nothing twice
  const busyId = await apiAs('alice', async (call) => {
    const room = await call('POST', '/api/rooms', { title: 'busy' });
    for (let i = 1; i <= 450; i++) await call('POST', '/api/messages', { room_id: room.id, body: `line ${i}` });
    return room.id;
  });
  await alice.page.goto(`${server.url}/rooms/${busyId}`);
  await alice.page.locator('.messages article.msg', { hasText: 'line 450' }).waitFor({ timeout: T });
  const firstSeq = Number(await alice.page.locator('.messages article.msg').first().getAttribute('data-seq'));
  if (firstSeq <= 1) throw new Error('the whole history loaded at once; expected the newest page only');
  const shownSeqs = () => alice.page.locator('.messages article.msg').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
  const contiguous = (seqs) => seqs.every((v, i) => i === 0 || v === seqs[i - 1] + 1);
  for (let i = 0; i < 40; i++) {
    if (await alice.page.getByText('This is the beginning of the room.').count()) break;
    await alice.page.locator('.messages').evaluate((el) => (el.scrollTop = 0));
    await alice.page.waitForTimeout(250);
  }
  let seqs = await shownSeqs();
  // The window is bounded (400): the newest pages were dropped on the way up.
  if (seqs[0] !== 1 || seqs.length > 400 || !contiguous(seqs)) throw new Error(`history after scrolling up: ${seqs.length} messages from ${seqs[0]} to ${seqs.at(-1)}`);
  step(`history paged upward from seq ${firstSeq} to 1, ${seqs.length} messages in the DOM`);
  for (let i = 0; i < 40; i++) {
    if (await alice.page.locator('.messages article.msg', { hasText: 'line 450' }).count()) break;
    await alice.page.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await alice.page.waitForTimeout(250);
  }
  seqs = await shownSeqs();
  if (seqs.at(-1) !== 450 || seqs.length > 400 || !contiguous(seqs)) throw new Error(`history after scrolling back down: ${seqs.length} messages from ${seqs[0]} to ${seqs.at(-1)}`);
  step('and back down to the newest');
  await alice.page.goto(`${server.url}/rooms/${busyId}?msg=10`);
  await alice.page.locator('.messages article.msg.highlight', { hasText: 'line 10' }).waitFor({ timeout: T });
  await alice.page.getByRole('button', { name: 'Jump to the latest ↓' }).click();
  await alice.page.locator('.messages article.msg', { hasText: 'line 450' }).waitFor({ timeout: T });
  if (await alice.page.locator('.messages article.msg', { hasText: 'line 10' }).count()) throw new Error('old window kept after jumping to the latest');
  step('jump to an old message (around=) and back to the latest');

  // --- A long absence: the room's event log no longer reaches back (resync_required)
  await bob.page.goto(roomUrl);
  await waitTimeline(bob.page, expected);
  outage = true;
  await bob.context.setOffline(true);
  await bob.page.locator('[data-testid="connection"]:not([data-status="online"])').waitFor({ timeout: T });
  const roomId = Number(new URL(roomUrl).pathname.split('/').pop());
  await alice.page.evaluate(async (roomId) => {
    const { accessToken } = JSON.parse(localStorage.getItem('parley.auth'));
    const h = { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' };
    for (let i = 1; i <= 30; i++) {
      const res = await fetch('/api/messages', { method: 'POST', headers: h, body: JSON.stringify({ room_id: roomId, body: `catch-up ${i}` }) });
      if (!res.ok) throw new Error(`send ${i}: ${res.status}`);
    }
  }, roomId);
  for (let i = 1; i <= 30; i++) expected.push(`catch-up ${i}`);
  await server.stop(); // graceful this time (close 1001); the restart prunes the log
  await server.start();
  await bob.context.setOffline(false);
  await bob.page.locator('[data-testid="connection"][data-status="online"]').waitFor({ timeout: 30_000 });
  outage = false;
  await waitTimeline(bob.page, expected, 30_000);
  if (!bob.frames.includes('resync_required')) throw new Error('expected the server to answer resync_required');
  await alice.page.locator('[data-testid="connection"][data-status="online"]').waitFor({ timeout: 30_000 });
  step('resync_required after a long absence: reloaded, complete, in order');

  // --- Organisation with an announcement
  await alice.page.getByRole('button', { name: 'New organisation' }).click();
  await alice.page.getByLabel('Name').fill('Acme');
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await alice.page.getByRole('heading', { name: 'Acme', level: 1 }).waitFor({ timeout: T });
  await alice.page.getByLabel('New announcement (Markdown)').fill('Welcome to **Acme**');
  await alice.page.getByRole('button', { name: 'Announce to everyone' }).click();
  await alice.page.getByRole('list', { name: 'Announcements' }).locator('strong', { hasText: 'Acme' }).waitFor({ timeout: T });
  await alice.page.screenshot({ path: join(shots, '10-org.png') });
  await a11y(alice.page, 'organisation');
  step('organisation + announcement');

  // --- Forgot password: the mail goes to the server's outbox directory
  const forgetful = await newUser('bob-phone');
  await forgetful.page.goto(`${server.url}/login`);
  await forgetful.page.getByRole('link', { name: 'Forgot your password?' }).click();
  await forgetful.page.getByLabel('Email').fill('bob@example.com');
  await forgetful.page.getByRole('button', { name: 'Send reset link' }).click();
  await forgetful.page.getByText(/a reset link is on its way/).waitFor({ timeout: T });
  let resetUrl = null;
  for (let i = 0; i < 50 && !resetUrl; i++) {
    for (const f of readdirSync(join(server.dir, 'outbox'))) {
      const m = /(http\S+\/reset-password#token=[A-Za-z0-9_-]+)/.exec(readFileSync(join(server.dir, 'outbox', f), 'utf8'));
      if (m) resetUrl = m[1];
    }
    if (!resetUrl) await forgetful.page.waitForTimeout(100);
  }
  if (!resetUrl) throw new Error('no reset mail in the outbox');
  kicked.add('bob'); // a reset ends Bob's other sessions
  await forgetful.page.goto(resetUrl);
  await forgetful.page.getByLabel('New password', { exact: true }).fill('a brand new secret');
  await forgetful.page.getByLabel('Repeat it').fill('a brand new secret');
  await forgetful.page.getByRole('button', { name: 'Set password' }).click();
  await forgetful.page.getByText(/Your password is changed/).waitFor({ timeout: T });
  await login(forgetful, 'bob', 'a brand new secret');
  await bob.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: T });
  await forgetful.context.close();
  step('password reset by mail; the old sessions ended');

  // --- Administration
  await server.cli(['create-admin', '--username', 'root', '--email', 'root@example.com'], {
    PARLEY_ADMIN_PASSWORD: 'correct horse battery',
  });
  const root = await newUser('root');
  await login(root, 'root');
  await root.page.getByRole('link', { name: 'Administration' }).click();
  await root.page.getByRole('heading', { name: 'Administration' }).waitFor();
  await root.page.getByRole('cell', { name: 'alice@example.com' }).waitFor({ timeout: T });
  await root.page.getByLabel('Statistics').waitFor();
  await root.page.screenshot({ path: join(shots, '11-admin.png') });
  await a11y(root.page, 'admin');
  await root.page.getByRole('tab', { name: 'Rooms' }).click();
  await root.page.getByRole('cell', { name: 'general' }).waitFor({ timeout: T });
  await root.page.getByRole('tab', { name: 'Audit log' }).click();
  await root.page.getByRole('tab', { name: 'Reports' }).click();
  await root.context.close();
  step('admin page');

  // --- More screens
  await alice.page.getByRole('link', { name: 'Discover rooms' }).click();
  await alice.page.getByRole('heading', { name: 'Discover rooms' }).waitFor();
  await alice.page.screenshot({ path: join(shots, '12-discover.png') });
  await a11y(alice.page, 'discover');

  // --- Phone width
  await alice.page.setViewportSize({ width: 390, height: 800 });
  await alice.page.goto(roomUrl);
  await waitTimeline(alice.page, expected);
  await alice.page.screenshot({ path: join(shots, '13-phone-room.png') });
  await alice.page.getByRole('button', { name: 'Open navigation' }).first().click();
  await alice.page.waitForTimeout(300);
  await alice.page.screenshot({ path: join(shots, '14-phone-nav.png') });
  await a11y(alice.page, 'phone navigation');

  // --- Dark colour scheme
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await alice.page.setViewportSize({ width: 1280, height: 800 });
  await alice.page.goto(roomUrl);
  await waitTimeline(alice.page, expected);
  await alice.page.screenshot({ path: join(shots, '15-dark-room.png') });
  await a11y(alice.page, 'room, dark');
  await alice.page.getByRole('link', { name: 'Profile and settings' }).click();
  await a11y(alice.page, 'settings, dark');

  if (consoleErrors.length) throw new Error(`console errors:\n${consoleErrors.join('\n')}`);
  // The client never sends a frame the server refuses.
  for (const u of [alice, bob]) if (u.frames.includes('error')) throw new Error(`${u.name}'s socket received an error frame`);
  if (a11yProblems.length) throw new Error(`accessibility (axe-core):\n${a11yProblems.join('\n')}`);
  step('PASS');
} catch (e) {
  failed = true;
  console.error(e);
  for (const u of [alice, bob]) {
    await u.page.screenshot({ path: join(shots, `failure-${u.name}.png`) }).catch(() => {});
    const html = await u.page.content().catch(() => '');
    writeFileSync(join(shots, `failure-${u.name}.html`), html);
  }
  if (consoleErrors.length) console.error(`console errors:\n${consoleErrors.join('\n')}`);
  console.error(`server log tail:\n${server.log.slice(-30).join('')}`);
} finally {
  await browser.close();
  await server.stop();
  // Keep the database and mails of a failed run for a look; a passing run leaves nothing.
  if (!failed) rmSync(server.dir, { recursive: true, force: true });
  else console.error(`kept ${server.dir}`);
}
process.exit(failed ? 1 : 0);
