import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';

/** The session: the signed token itself, so a page and the API trust exactly the same thing. */
export const SESSION_COOKIE = 'letters_session';
/** Before there is a session, the sign-in form's CSRF token is a random value in this cookie. */
export const SIGN_IN_COOKIE = 'letters_sign_in';
/** State and PKCE verifier of a sign-in in progress at the Cognito hosted UI. */
export const OAUTH_COOKIE = 'letters_oauth';

export const CSRF_FIELD = 'csrfToken';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host the browser addressed; the Lambda adapter gives every request an https URL. */
export function requestHost(c: Context): URL {
  return new URL(c.req.url);
}

/**
 * The local stack serves plain http on a loopback address, where a browser drops a `Secure`
 * cookie it is sent over http; everywhere else the pages are behind https.
 */
export function isLoopback(c: Context): boolean {
  return LOOPBACK.has(requestHost(c).hostname);
}

/** The origin a form on our own pages posts from. */
export function ownOrigin(c: Context): string {
  const url = requestHost(c);
  return `${isLoopback(c) ? 'http' : 'https'}://${url.host}`;
}

/** Accepts the origin of our own pages, http only on a loopback address. */
export function isOwnOrigin(origin: string, c: Context): boolean {
  try {
    const given = new URL(origin);
    const host = requestHost(c).host;
    return given.host === host && (given.protocol === 'https:' || (given.protocol === 'http:' && isLoopback(c)));
  } catch {
    return false;
  }
}

function cookieOptions(c: Context, maxAge: number, path = '/'): CookieOptions {
  return { httpOnly: true, sameSite: 'Lax', secure: !isLoopback(c), path, maxAge };
}

/** Seconds until the token expires, read without verifying: only to size the cookie's life. */
export function secondsToExpiry(token: string, now = Date.now()): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    if (typeof payload.exp === 'number') return Math.max(0, Math.floor(payload.exp - now / 1000));
  } catch {
    // Not a JWT: the authenticator will refuse it anyway.
  }
  return 0;
}

/**
 * Behind https the session cookie takes the `__Host-` prefix: the browser then accepts it only
 * when Secure, for the whole site and this host alone, so no sibling domain can plant one.
 */
function sessionCookieName(c: Context): string {
  return isLoopback(c) ? SESSION_COOKIE : `__Host-${SESSION_COOKIE}`;
}

export function startSession(c: Context, token: string): void {
  setCookie(c, sessionCookieName(c), token, cookieOptions(c, Math.max(60, secondsToExpiry(token))));
}

export function sessionToken(c: Context): string | undefined {
  return getCookie(c, sessionCookieName(c)) || undefined;
}

export function endSession(c: Context): void {
  deleteCookie(c, sessionCookieName(c), { path: '/', secure: !isLoopback(c) });
  if (getCookie(c, 'letters_refresh')) deleteCookie(c, 'letters_refresh', { path: '/letters/session', secure: !isLoopback(c) });
}

/**
 * The synchronizer token of a session: an HMAC keyed with the session token. Only someone who
 * holds the token (an HttpOnly cookie) can compute it, it needs no server-side storage, and it
 * changes with every sign-in.
 */
export function csrfTokenFor(session: string): string {
  return createHmac('sha256', session).update('inspection-letters csrf v1').digest('base64url');
}

export function sameSecret(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  // Equal digests of equal length: the comparison takes the same time wherever they differ.
  return timingSafeEqual(a, b);
}

/** The sign-in form's token: double-submitted, in a cookie and in the form. */
export function signInCsrfToken(c: Context): string {
  const existing = getCookie(c, SIGN_IN_COOKIE);
  if (existing && /^[\w-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(c, SIGN_IN_COOKIE, token, cookieOptions(c, 3600, '/sign-in'));
  return token;
}

export function checkSignInCsrf(c: Context, given: string | null): boolean {
  const expected = getCookie(c, SIGN_IN_COOKIE);
  return !!expected && sameSecret(expected, given);
}

export function endSignIn(c: Context): void {
  deleteCookie(c, SIGN_IN_COOKIE, { path: '/sign-in', secure: !isLoopback(c) });
}

/** Only our own pages are places to return to after signing in: never another site. */
export function safeReturnPath(next: string | null | undefined): string {
  if (next && /^\/(?:letters(?:[/?][\w\-/?=&%.]*)?|dev\/outbox\.html)$/.test(next)) return next;
  return '/letters';
}

export interface CognitoSettings {
  hostedUiUrl: string;
  clientId: string;
}

/**
 * Starts the authorization code flow with PKCE: the state and verifier are kept in a short-lived
 * HttpOnly cookie scoped to the callback, and the browser is sent to the hosted UI.
 */
export function cognitoAuthorizeUrl(c: Context, cognito: CognitoSettings, next: string): string {
  const state = randomBytes(24).toString('base64url');
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  setCookie(c, OAUTH_COOKIE, `${state}.${verifier}.${Buffer.from(next).toString('base64url')}`, cookieOptions(c, 600, '/auth'));
  const url = new URL('/oauth2/authorize', cognito.hostedUiUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: cognito.clientId,
    redirect_uri: `${ownOrigin(c)}/auth/callback`,
    scope: 'openid email profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

export class SignInFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInFailedError';
  }
}

/**
 * Finishes the flow: checks the state against the cookie, then exchanges the code (with the
 * verifier) for tokens at the hosted UI's token endpoint. Returns the ID token and where to go.
 */
export async function exchangeCognitoCode(
  c: Context,
  cognito: CognitoSettings,
  fetcher: typeof fetch,
): Promise<{ idToken: string; next: string }> {
  const [state, verifier, next] = (getCookie(c, OAUTH_COOKIE) ?? '').split('.');
  deleteCookie(c, OAUTH_COOKIE, { path: '/auth', secure: !isLoopback(c) });
  const code = c.req.query('code');
  // Whatever the query says is the sender's text, not the sign-in service's: it is never shown.
  if (c.req.query('error')) throw new SignInFailedError('The sign-in service did not sign you in.');
  if (!state || !verifier || !code || !sameSecret(state, c.req.query('state'))) {
    throw new SignInFailedError('The sign-in did not match one started here, or took too long.');
  }
  const response = await fetcher(new URL('/oauth2/token', cognito.hostedUiUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: cognito.clientId,
      code,
      redirect_uri: `${ownOrigin(c)}/auth/callback`,
      code_verifier: verifier,
    }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; refresh_token?: unknown };
  if (!response.ok || typeof body.id_token !== 'string') {
    throw new SignInFailedError(`The sign-in service refused the code (${response.status}).`);
  }
  if (typeof body.refresh_token === 'string') keepRefreshToken(c, body.refresh_token);
  return { idToken: body.id_token, next: safeReturnPath(Buffer.from(next ?? '', 'base64url').toString('utf8')) };
}

/** Where "Stay signed in" posts; the only path the refresh token is ever sent to. */
export const EXTEND_PATH = '/letters/session';
const REFRESH_COOKIE = 'letters_refresh';

function keepRefreshToken(c: Context, token: string): void {
  // Cognito's default refresh token lasts 30 days; the app client may shorten it.
  setCookie(c, REFRESH_COOKIE, token, cookieOptions(c, 30 * 24 * 3600, EXTEND_PATH));
}

/** A fresh ID token from the hosted UI's token endpoint, for a person who asked to stay signed in. */
export async function refreshCognitoSession(c: Context, cognito: CognitoSettings, fetcher: typeof fetch): Promise<string> {
  const refreshToken = getCookie(c, REFRESH_COOKIE);
  if (!refreshToken) throw new SignInFailedError('There is no sign-in to extend. Sign in again.');
  const response = await fetcher(new URL('/oauth2/token', cognito.hostedUiUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: cognito.clientId, refresh_token: refreshToken }).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as { id_token?: unknown };
  if (!response.ok || typeof body.id_token !== 'string') throw new SignInFailedError(`The sign-in service would not extend the session (${response.status}).`);
  return body.id_token;
}

/**
 * The refresh token lives only to keep a session going when the person asks to ("Stay signed
 * in"): it is sent to that one path, and revoked when they sign out, so it outlives no session.
 */
export async function revokeKeptRefreshToken(c: Context, cognito: CognitoSettings, fetcher: typeof fetch): Promise<void> {
  const token = getCookie(c, REFRESH_COOKIE);
  if (token) await revokeRefreshToken(cognito, token, fetcher);
}

/** A failed revocation does not stop signing out; the token then expires on its own. */
async function revokeRefreshToken(cognito: CognitoSettings, token: string, fetcher: typeof fetch): Promise<void> {
  await fetcher(new URL('/oauth2/revoke', cognito.hostedUiUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: cognito.clientId }).toString(),
  }).catch(() => undefined);
}

export function cognitoLogoutUrl(c: Context, cognito: CognitoSettings): string {
  const url = new URL('/logout', cognito.hostedUiUrl);
  url.search = new URLSearchParams({ client_id: cognito.clientId, logout_uri: `${ownOrigin(c)}/signed-out` }).toString();
  return url.toString();
}
