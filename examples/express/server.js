// Express backend for the Refold front end: a demo sign-in that upserts the user's linked
// account, GET /refold/session with a session token for the signed-in user, a sign-out that
// revokes it (POST /api/session/sign-out), Refold's webhooks (POST /api/webhooks/refold,
// verified, deduplicated, listed at GET /api/webhooks/events), and the shared page
// (../web/public), whose front-end SDK calls Refold with that token.
'use strict';

// First, so its instrumentations see the modules below (OTEL_TRACES_EXPORTER turns it on).
require('./tracing');

const crypto = require('node:crypto');
const path = require('node:path');
const express = require('express');
const cookieSession = require('cookie-session');
const Refold = require('refold-session');

const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 3000);
// Where the browser calls Refold; the emulator serves both APIs on one address.
const API_BASE_URL =
  process.env.REFOLD_FRONTEND_API_URL ?? process.env.REFOLD_BASE_URL ?? 'https://app.refold.ai';
const WEB_DIR = process.env.WEB_DIR ?? path.join(__dirname, '..', 'web', 'public');

// One client for the process (API key from REFOLD_API_KEY, base URL from REFOLD_BASE_URL).
// With the cache on, page views reuse a token while it has life left instead of minting anew.
const refold = new Refold({ cache: true });

// The connection events received, by dedup key (Refold may deliver one more than once); the
// newest MAX_EVENTS are kept.
const MAX_EVENTS = 100;
const CONNECTION_EVENTS = ['Connection Created', 'Connection Deleted', 'Connection Expired'];
const webhookEvents = new Map();

const app = express();
// Webhooks are verified over the raw bytes received, so this route reads them before any JSON
// parser does (at most 1 MiB, the most the library reads).
app.post('/api/webhooks/refold', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (!refold.verifyWebhookSignature(body, req.headers['x-cobalt-signature'])) {
    // One line, never the body nor the header.
    console.warn(`webhook refused: bad signature (${body.length} bytes)`);
    return res.status(401).json({ message: 'Bad signature.' });
  }
  const event = Refold.parseWebhookEvent(body); // a signed body that is not an event: 400 below
  const seen = webhookEvents.get(event.dedupKey);
  if (seen) {
    seen.deliveries += 1;
  } else {
    webhookEvents.set(event.dedupKey, {
      event: event.eventType,
      linkedAccountId: event.linkedAccountId,
      slug: event.slug,
      createdAt: event.createdAt,
      dedupKey: event.dedupKey,
      deliveries: 1,
    });
    if (webhookEvents.size > MAX_EVENTS) webhookEvents.delete(webhookEvents.keys().next().value);
  }
  console.log(`webhook: ${event.eventType} (${seen ? 'again' : 'new'})`);
  res.status(200).json({ received: true });
});

app.get('/api/webhooks/events', (req, res) => {
  res.set('cache-control', 'no-store').json({ events: [...webhookEvents.values()] });
});

app.use(express.json());
app.use(
  cookieSession({
    name: 'session',
    secret: process.env.SESSION_SECRET ?? crypto.randomBytes(32).toString('hex'),
    httpOnly: true,
    sameSite: 'lax',
  }),
);
// One line per request: method, path, status. Never headers, bodies or tokens.
app.use((req, res, next) => {
  res.on('finish', () => console.log(`${req.method} ${req.path} ${res.statusCode}`));
  next();
});
app.use(express.static(WEB_DIR));

app.get('/me', (req, res) => {
  res.json({ user: req.session.user ?? null, apiBaseUrl: API_BASE_URL });
});

app.post('/signin', async (req, res) => {
  const name = String(req.body?.name ?? '').trim();
  if (!name || name.length > 64) {
    return res.status(400).json({ message: 'Enter a name of 1 to 64 characters.' });
  }
  // The user's linked account at Refold (its id is our user id), created on first sign-in.
  await refold.upsertLinkedAccount({ linked_account_id: name, name });
  req.session.user = name;
  res.status(204).end();
});

app.post('/signout', (req, res) => {
  req.session = null;
  res.status(204).end();
});

// Sign-out that also ends the user's Refold session: the user's current token (the cached one,
// else the one Refold answers again while it is valid) is revoked, so the copy the front end
// holds is refused from now on; then the session ends. Answers {"revoked": <revokedCount>}.
app.post('/api/session/sign-out', async (req, res) => {
  const user = req.session.user;
  if (!user) return res.status(401).json({ message: 'Sign in first.' });
  const session = await refold.getTokenForLinkedAccount(user);
  const { revokedCount } = await refold.revokeSessionToken(session);
  req.session = null;
  res.set('cache-control', 'no-store').json({ revoked: revokedCount });
});

app.get('/refold/session', async (req, res) => {
  const user = req.session.user;
  if (!user) return res.status(401).json({ message: 'Sign in first.' });
  // fresh=1 when the front end was refused the token it had: skip the cache.
  const session = await refold.getTokenForLinkedAccount(user, { fresh: req.query.fresh === '1' });
  const { token, expiresAt } = session.toJSON(); // expiresAt as RFC 3339 text
  res.set('cache-control', 'no-store').json({ token, expiresAt });
});

// Refold's typed errors as HTTP answers (Express 5 passes rejected handlers here).
app.use((err, req, res, next) => {
  if (!(err instanceof Refold.RefoldError)) return next(err);
  // The code and request id only: a RefoldError never holds the key or a token anyway.
  console.error(`refold error: ${err.code} (request ${err.requestId ?? 'none'})`);
  if (err instanceof Refold.InvalidLinkedAccountError) {
    return res.status(404).json({
      error: 'account_missing',
      message: `Your Refold linked account "${req.session.user}" no longer exists. Sign out and sign in again to create it.`,
    });
  }
  if (err instanceof Refold.InvalidInputError && req.path === '/api/webhooks/refold') {
    return res.status(400).json({ error: err.code, message: 'Not a Refold webhook event.' });
  }
  if (err instanceof Refold.InvalidInputError) {
    return res.status(400).json({ error: err.code, message: 'That name cannot be a linked account id.' });
  }
  if (err instanceof Refold.RateLimitError) {
    res.set('retry-after', String(Math.max(1, Math.ceil(err.retryAfter ?? 1))));
    return res.status(503).json({ error: err.code, message: 'Refold is busy. Try again in a moment.' });
  }
  res.status(502).json({ error: err.code, message: 'Refold could not be reached. Try again later.' });
});

/**
 * Registers this backend's webhook URL for the connection events (`REFOLD_REGISTER_WEBHOOK=1`,
 * for the bundled emulator; against Refold, register it once in its dashboard instead).
 * @param {string} url
 */
async function registerWebhook(url) {
  const base = process.env.REFOLD_BASE_URL ?? 'https://app.refold.ai';
  const response = await fetch(`${base}/api/v2/public/webhook`, {
    method: 'POST',
    headers: { 'x-api-key': process.env.REFOLD_API_KEY ?? '', 'content-type': 'application/json' },
    body: JSON.stringify({ webhook_url: url, webhook_events: CONNECTION_EVENTS }),
  });
  console.log(`webhook registration: ${response.status}`);
}

const server = app.listen(PORT, HOST, async () => {
  const origin = `http://${HOST}:${server.address().port}`;
  if (process.env.REFOLD_REGISTER_WEBHOOK === '1') {
    await registerWebhook(process.env.REFOLD_WEBHOOK_URL ?? `${origin}/api/webhooks/refold`).catch((error) => {
      console.error(`webhook registration failed: ${error.message}`);
    });
  }
  console.log(`listening on ${origin}`);
});
