import { randomBytes } from 'node:crypto';
import type { ErrorHandler, MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { AppError } from '../../../core/errors';
import type { Actor } from '../../../core/letter';
import { CsrfRefusedError, type PageEnv, type PageKit } from './page-kit';
import { keepPostedForm, typedText, whatWasPosted } from './resume';
import { CSRF_FIELD, csrfTokenFor, endSession, isLoopback, isOwnOrigin, safeReturnPath, sameSecret, sessionToken } from './session';

function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    // The one inline script is govuk-frontend's template marking the body as js-enabled.
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const securityHeaders: MiddlewareHandler<PageEnv> = async (c, next) => {
  const nonce = randomBytes(16).toString('base64');
  c.set('cspNonce', nonce);
  await next();
  const h = c.res.headers;
  // A preview carries its own, stricter policy for the letter's HTML, and is shown framed in
  // the pages that check a letter: its policy allows our own pages (frame-ancestors 'self').
  const preview = h.has('Content-Security-Policy');
  if (!preview) h.set('Content-Security-Policy', contentSecurityPolicy(nonce));
  h.set('X-Content-Type-Options', 'nosniff');
  h.set('X-Frame-Options', preview ? 'SAMEORIGIN' : 'DENY');
  h.set('Referrer-Policy', 'same-origin');
  h.set('Cross-Origin-Opener-Policy', 'same-origin');
  h.set('Cross-Origin-Resource-Policy', 'same-origin');
  h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
  if (!isLoopback(c)) h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
};

/** Defence in depth beside the tokens: a form post must come from our own origin. */
export const sameOrigin: MiddlewareHandler<PageEnv> = csrf({ origin: (origin, c) => isOwnOrigin(origin, c) });

/**
 * The session every letter page needs: the person the cookie's token names, or a redirect to
 * sign in (and back). A POST must also carry the session's CSRF token; its form is read here.
 */
export function requireSession(kit: PageKit): MiddlewareHandler<PageEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    const toSignIn = async () => {
      if (c.req.method === 'POST') {
        // The session ended while the person was typing: keep what they sent, to save after sign-in.
        const fields = await kit.readForm(c);
        if (keepPostedForm(c, { path: c.req.path, fields })) return c.redirect(`/sign-in?next=${encodeURIComponent(RESUME_PATH)}`, 303);
        const { what } = whatWasPosted(c.req.path);
        return kit.render(c, 'signed-out-form.njk', { title: 'You were signed out', what, typed: typedText(fields) }, 401);
      }
      return c.redirect(`/sign-in?next=${encodeURIComponent(safeReturnPath(c.req.path + (new URL(c.req.url).search || '')))}`, 303);
    };
    if (!token) return toSignIn();
    let actor: Actor;
    try {
      actor = await kit.deps.authenticator.authenticate({ bearerToken: token });
    } catch (error) {
      if (error instanceof AppError && (error.status === 401 || error.status === 403)) {
        endSession(c);
        return toSignIn();
      }
      throw error;
    }
    c.set('actor', actor);
    const expected = csrfTokenFor(token);
    c.set('csrfToken', expected);
    if (c.req.method === 'POST') {
      const form = await kit.readForm(c);
      if (!sameSecret(expected, form[CSRF_FIELD])) throw new CsrfRefusedError();
      c.set('form', form);
    }
    await next();
  };
}

/** Where a form kept through signing in again is offered to be sent. */
export const RESUME_PATH = '/letters/resume';

const ERROR_TITLES: Record<number, string> = {
  403: 'You cannot do that',
  404: 'Page not found',
  409: 'That cannot be done now',
  412: 'The letter has changed',
  413: 'The form is too large',
  415: 'The form could not be read',
};

/** Errors as pages: a refusal says why; anything else is logged and the person gets a reference. */
export function pageErrors(kit: PageKit): ErrorHandler<PageEnv> {
  return (error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return kit.errorPage(c, 403, 'Your request could not be checked', 'The form did not come from this service. Go back, reload the page and try again.');
    }
    if (error instanceof AppError) return kit.errorPage(c, error.status, ERROR_TITLES[error.status] ?? error.title, error.message);
    const correlationId = c.get('correlationId') ?? 'unknown';
    kit.deps.logger.error('page failed', { correlationId, method: c.req.method, path: c.req.path, error });
    const message = `Try again later. Quote ${correlationId} if you report it.`;
    try {
      return kit.errorPage(c, 500, 'Sorry, there is a problem with the service', message);
    } catch {
      // The templates themselves failed: say so in plain text rather than not at all.
      return c.text(`Sorry, there is a problem with the service. ${message}`, 500);
    }
  };
}
