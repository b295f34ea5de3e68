import type { Hono } from 'hono';
import { AppError } from '../../../core/errors';
import { CsrfRefusedError, type PageEnv, type PageKit } from './page-kit';
import { RESUME_PATH } from './page-middleware';
import { takePostedForm, typedText, whatWasPosted } from './resume';
import {
  cognitoAuthorizeUrl,
  cognitoLogoutUrl,
  CSRF_FIELD,
  csrfTokenFor,
  EXTEND_PATH,
  endSession,
  exchangeCognitoCode,
  refreshCognitoSession,
  revokeKeptRefreshToken,
  safeReturnPath,
  sameSecret,
  SignInFailedError,
  secondsToExpiry,
  sessionToken,
  startSession,
} from './session';

const NO_PICKER = 'Signing in with a role picker is only available on the local stack.';

/**
 * Signing in and out. On AWS the Cognito hosted UI signs people in (authorization code with
 * PKCE); where sign-in is local, a page extension shows its own form at /sign-in.
 */
export function signInPages(pages: Hono<PageEnv>, kit: PageKit) {
  const { deps } = kit;
  const fetcher = deps.fetch ?? fetch;
  const localSignIn = deps.extensions?.find((e) => e.signIn)?.signIn;

  pages.get('/', (c) => c.redirect('/letters', 302));

  pages.get('/sign-in', (c) => {
    if (kit.signInMode() === 'cognito') {
      const settings = kit.cognito();
      if (!settings) return kit.errorPage(c, 500, 'Sign-in is not set up', 'This service has no sign-in configured. Contact its administrators.');
      return c.redirect(cognitoAuthorizeUrl(c, settings, safeReturnPath(c.req.query('next'))), 302);
    }
    if (!localSignIn) return kit.errorPage(c, 404, 'Page not found', NO_PICKER);
    return localSignIn.show(c, kit);
  });

  pages.post('/sign-in', (c) => {
    if (kit.signInMode() !== 'local' || !localSignIn) return kit.errorPage(c, 404, 'Page not found', NO_PICKER);
    return localSignIn.submit(c, kit);
  });

  pages.get('/auth/callback', async (c) => {
    const settings = kit.cognito();
    if (kit.signInMode() !== 'cognito' || !settings) return kit.errorPage(c, 404, 'Page not found', 'There is nothing here.');
    try {
      const { idToken, next } = await exchangeCognitoCode(c, settings, fetcher);
      // The same check every page makes: the token must be one the API itself accepts.
      await deps.authenticator.authenticate({ bearerToken: idToken });
      startSession(c, idToken);
      return c.redirect(next, 303);
    } catch (error) {
      if (error instanceof SignInFailedError || (error instanceof AppError && error.status < 500)) {
        return kit.errorPage(c, 400, 'Sign-in failed', `${error.message} Try signing in again.`, { signInAgain: true });
      }
      throw error;
    }
  });

  // Signing out changes state, so it is a form post carrying the session's CSRF token: a link or
  // an image on another site cannot sign anyone out. The address itself shows that form.
  pages.get('/sign-out', async (c) => {
    const token = sessionToken(c);
    const actor = await kit.sessionActor(c);
    if (!token || !actor) return c.redirect('/signed-out', 302);
    c.set('actor', actor);
    return kit.render(c, 'sign-out.njk', { title: 'Sign out', csrfToken: csrfTokenFor(token) });
  });

  pages.post('/sign-out', async (c) => {
    const token = sessionToken(c);
    if (!token) return c.redirect('/signed-out', 303);
    const form = await kit.readForm(c);
    if (!sameSecret(csrfTokenFor(token), form[CSRF_FIELD])) throw new CsrfRefusedError();
    const settings = kit.cognito();
    if (settings) await revokeKeptRefreshToken(c, settings, fetcher);
    endSession(c);
    if (kit.signInMode() === 'cognito' && settings) return c.redirect(cognitoLogoutUrl(c, settings), 303);
    return c.redirect('/signed-out', 303);
  });

  // A form posted after the session ended, kept through signing in: offered to be sent again.
  pages.get(RESUME_PATH, (c) => {
    const kept = takePostedForm(c);
    if (!kept) return c.redirect('/letters', 303);
    const { what, action } = whatWasPosted(kept.path);
    const letter = /^\/letters\/([0-9A-Z]{26})\//.exec(kept.path)?.[1];
    return kit.render(c, 'resume.njk', {
      title: action,
      what,
      action,
      path: kept.path,
      fields: kept.fields,
      typed: typedText(kept.fields),
      back: letter ? `/letters/${letter}` : '/letters',
    });
  });

  // "Stay signed in": a new token before the old one ends (WCAG 2.2.1, timing adjustable).
  pages.post(EXTEND_PATH, async (c) => {
    const actor = c.get('actor');
    let token: string;
    try {
      const settings = kit.cognito();
      if (kit.signInMode() === 'cognito' && settings) token = await refreshCognitoSession(c, settings, fetcher);
      else if (localSignIn?.refresh) token = await localSignIn.refresh(c, actor);
      else throw new SignInFailedError('This service cannot extend a session.');
      await deps.authenticator.authenticate({ bearerToken: token });
    } catch (error) {
      if (error instanceof SignInFailedError || (error instanceof AppError && error.status < 500)) {
        return c.json({ extended: false, message: error.message }, 409);
      }
      throw error;
    }
    startSession(c, token);
    const expiresAt = Math.floor(Date.now() / 1000) + secondsToExpiry(token);
    if ((c.req.header('accept') ?? '').includes('application/json')) return c.json({ extended: true, expiresAt });
    return c.redirect(safeReturnPath(c.get('form').next), 303);
  });

  pages.get('/signed-out', (c) => kit.render(c, 'signed-out.njk', { title: 'You have signed out' }));
}
