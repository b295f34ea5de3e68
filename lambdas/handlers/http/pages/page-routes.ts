import { randomBytes } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Config } from '../../../config';
import { AppError, ForbiddenError, NotFoundError, PreconditionFailedError, ValidationError } from '../../../core/errors';
import { type Actor, type Letter, LETTER_STATUSES, type Role } from '../../../core/letter';
import { LIMITS } from '../../../core/letter-schema';
import { can, ROLES } from '../../../core/roles';
import { redistributeLetter } from '../../../core/use-cases/distribute-letter';
import { addFinding, createLetter, removeFinding, updateFinding, updateLetter } from '../../../core/use-cases/draft-letters';
import { getLetter, listLetters, retrievePdf } from '../../../core/use-cases/read-letters';
import { previewHtml, previewPdf } from '../../../core/use-cases/render-letter';
import { approveLetter, returnLetter, submitLetter } from '../../../core/use-cases/review-letters';
import type { ApiDependencies, ApiEnv } from '../app';
import { ListQuery } from '../openapi';
import { idParam } from '../request';
import { type AssetStore, loadAssets } from './assets';
import {
  addIssues,
  addProblems,
  changedFacts,
  FINDING_FIELDS,
  FormErrors,
  type FormValues,
  formFromFacts,
  formValues,
  LETTER_FIELDS,
  LETTER_SECTIONS,
  parseFindingForm,
  parseLetterForm,
  parseReturnForm,
  RETURN_FIELDS,
  versionOf,
} from './forms';
import { letterPageView, listRowView, statusTag } from './letter-page';
import {
  CSRF_FIELD,
  checkSignInCsrf,
  type CognitoSettings,
  cognitoAuthorizeUrl,
  cognitoLogoutUrl,
  csrfTokenFor,
  endSession,
  endSignIn,
  exchangeCognitoCode,
  isLoopback,
  isOwnOrigin,
  safeReturnPath,
  sameSecret,
  SignInFailedError,
  sessionToken,
  signInCsrfToken,
  startSession,
} from './session';
import { createViewEnvironment, resolveViewPaths } from './views';

/** One message the local mail emulator received; the local stack's outbox. */
export interface OutboxEntry {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  at: number;
  attachments: { filename: string | null; contentType: string; size: number; sha256: string }[];
}

/** What the pages take beyond the API's dependencies. Only the local stack passes the first two. */
export interface PageHooks {
  /** Issues a token for a role and name: the local sign-in. Absent on AWS, where Cognito signs people in. */
  signIn?: (role: Role, name: string) => Promise<string>;
  /** The messages the local mail emulator received, shown at `/dev/outbox.html`. */
  outbox?: () => Promise<OutboxEntry[]>;
  /** Calls Cognito's token endpoint; a stand-in in tests. */
  fetch?: typeof fetch;
  config?: Partial<Pick<Config, 'SIGN_IN_MODE' | 'COGNITO_HOSTED_UI_URL' | 'COGNITO_CLIENT_ID' | 'GOVUK_FRONTEND_DIR' | 'TEMPLATES_DIR'>>;
}

type PageDependencies = ApiDependencies & PageHooks;

type PageEnv = {
  Bindings: ApiEnv['Bindings'];
  Variables: ApiEnv['Variables'] & { cspNonce: string; csrfToken: string; form: FormValues };
};
type PageContext = Context<PageEnv>;

/** A form post that did not carry the session's CSRF token. */
class CsrfRefusedError extends AppError {
  constructor() {
    super(403, 'Forbidden', 'The form could not be checked. Go back, reload the page and try again.');
  }
}

/** Messages after a POST-redirect-GET: chosen by a fixed key, so no text travels in the URL. */
const DONE: Record<string, string> = {
  created: 'Letter created. Add its findings, then submit it for approval.',
  saved: 'The letter’s details have been saved.',
  unchanged: 'Nothing was changed.',
  'finding-added': 'Finding added.',
  'finding-saved': 'Finding saved.',
  'finding-removed': 'Finding removed.',
  submitted: 'Letter submitted for approval.',
  returned: 'Letter returned to its inspectors with your comment.',
  approved: 'Letter approved. It is being made into a PDF and sent to its 3 recipients.',
  redistributed: 'The letter is being sent again to the recipients it failed to reach.',
};

const STATUS_OPTIONS = LETTER_STATUSES;

const SignInForm = z.object({
  role: z.enum(ROLES as [Role, ...Role[]], { error: 'Select your role' }),
  name: z
    .string()
    .trim()
    .min(1, 'Enter your name')
    .max(100, 'Your name must be 100 characters or fewer')
    .refine((s) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s), 'Your name must not contain control characters'),
});

/** Paths the pages answer; middleware is bound to these so the API's routes never run it. */
const PAGE_PATHS = ['/', '/sign-in', '/sign-out', '/signed-out', '/auth/*', '/letters', '/letters/*', '/dev/outbox.html', '/assets/*'];
const SESSION_PATHS = ['/letters', '/letters/*'];

/** The letter's preview carries the same policy as its own meta tag: inline styles and data: fonts only. */
const PREVIEW_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; frame-ancestors 'self'";

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

/**
 * The web pages: sign-in, the list of letters, the forms that draft, submit, return and approve
 * them, and each letter's PDF, deliveries and history. They call the same use cases as the JSON
 * API, with plain form posts and redirects, so they work without JavaScript.
 */
export function pageRoutes(deps: PageDependencies) {
  const pages = new Hono<PageEnv>();
  const fetcher = deps.fetch ?? fetch;

  // Templates and assets are read on first use: a function that only serves the API never
  // pays for them, and a package missing from it fails only the pages.
  let built: { env: ReturnType<typeof createViewEnvironment>; assets: AssetStore } | undefined;
  const views = () => {
    if (!built) {
      const paths = resolveViewPaths(deps.config);
      built = { env: createViewEnvironment(paths), assets: loadAssets(paths) };
    }
    return built;
  };

  const signInMode = (): 'local' | 'cognito' => deps.config?.SIGN_IN_MODE ?? (deps.signIn ? 'local' : 'cognito');
  const cognito = (): CognitoSettings | undefined =>
    deps.config?.COGNITO_HOSTED_UI_URL && deps.config.COGNITO_CLIENT_ID
      ? { hostedUiUrl: deps.config.COGNITO_HOSTED_UI_URL, clientId: deps.config.COGNITO_CLIENT_ID }
      : undefined;

  function render(c: PageContext, template: string, data: Record<string, unknown> = {}, status = 200) {
    const v = views();
    const actor = c.get('actor') as Actor | undefined;
    const navigation = [
      ...(actor ? [{ href: '/letters', text: 'Letters', active: c.req.path.startsWith('/letters') }] : []),
      ...(deps.outbox ? [{ href: '/dev/outbox.html', text: 'Outbox', active: c.req.path === '/dev/outbox.html' }] : []),
      ...(actor ? [{ text: `${actor.name} (${actor.role})` }, { href: '/sign-out', text: 'Sign out' }] : []),
    ];
    const html = v.env.render(template, {
      cspNonce: c.get('cspNonce'),
      assetVersion: v.assets.version,
      actor,
      csrfToken: c.get('csrfToken'),
      localStack: Boolean(deps.signIn || deps.outbox),
      hasOutbox: Boolean(deps.outbox),
      navigation,
      errors: new FormErrors(),
      values: {},
      ...data,
    });
    return c.html(html, status as 200);
  }

  function errorPage(c: PageContext, status: number, title: string, message: string, extra: Record<string, unknown> = {}) {
    return render(c, 'error.njk', { title, message, status, ...extra }, status);
  }

  const actorOf = (c: PageContext) => c.get('actor');

  // ----- Middleware, on page paths only -------------------------------------------------------

  const securityHeaders: MiddlewareHandler<PageEnv> = async (c, next) => {
    const nonce = randomBytes(16).toString('base64');
    c.set('cspNonce', nonce);
    await next();
    const h = c.res.headers;
    // A preview carries its own, stricter policy for the letter's HTML.
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', contentSecurityPolicy(nonce));
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'same-origin');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
    if (!isLoopback(c)) h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };

  // Defence in depth beside the tokens: a form post must come from our own origin.
  const sameOrigin = csrf({ origin: (origin, c) => isOwnOrigin(origin, c) });

  /** Reads a urlencoded form within the API's body limit. */
  async function readForm(c: PageContext): Promise<FormValues> {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type)) {
      throw new AppError(415, 'Unsupported media type', 'Send the form as application/x-www-form-urlencoded.');
    }
    const raw = await c.req.text();
    if (Buffer.byteLength(raw, 'utf8') > LIMITS.body) {
      throw new AppError(413, 'Payload too large', 'The form is too large to send. Shorten the text and try again.');
    }
    return formValues(new URLSearchParams(raw));
  }

  const requireSession: MiddlewareHandler<PageEnv> = async (c, next) => {
    const token = sessionToken(c);
    const toSignIn = () => {
      const target = c.req.method === 'GET' ? safeReturnPath(c.req.path + (new URL(c.req.url).search || '')) : '/letters';
      return c.redirect(`/sign-in?next=${encodeURIComponent(target)}`, 303);
    };
    if (!token) return toSignIn();
    let actor: Actor;
    try {
      actor = await deps.authenticator.authenticate({ bearerToken: token });
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
      const form = await readForm(c);
      if (!sameSecret(expected, form[CSRF_FIELD])) throw new CsrfRefusedError();
      c.set('form', form);
    }
    await next();
  };

  for (const path of PAGE_PATHS) pages.use(path, securityHeaders);
  for (const path of PAGE_PATHS) pages.on('POST', path, sameOrigin);
  for (const path of SESSION_PATHS) pages.use(path, requireSession);

  pages.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return errorPage(c, 403, 'Your request could not be checked', 'The form did not come from this service. Go back, reload the page and try again.');
    }
    if (error instanceof AppError) {
      const titles: Record<number, string> = {
        403: 'You cannot do that',
        404: 'Page not found',
        409: 'That cannot be done now',
        412: 'The letter has changed',
        413: 'The form is too large',
        415: 'The form could not be read',
      };
      return errorPage(c, error.status, titles[error.status] ?? error.title, error.message);
    }
    const correlationId = c.get('correlationId') ?? 'unknown';
    deps.logger.error('page failed', { correlationId, method: c.req.method, path: c.req.path, error });
    const message = `Try again later. Quote ${correlationId} if you report it.`;
    try {
      return errorPage(c, 500, 'Sorry, there is a problem with the service', message);
    } catch {
      // The templates themselves failed: say so in plain text rather than not at all.
      return c.text(`Sorry, there is a problem with the service. ${message}`, 500);
    }
  });

  // ----- Assets -----------------------------------------------------------------------------

  pages.get('/assets/*', (c) => {
    const asset = views().assets.get(c.req.path.slice('/assets/'.length));
    if (!asset) return c.text('Not found', 404);
    const headers = { 'Content-Type': asset.contentType, 'Cache-Control': asset.cacheControl, ETag: asset.etag };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, headers);
  });

  // ----- Signing in and out -------------------------------------------------------------------

  pages.get('/', (c) => c.redirect('/letters', 302));

  pages.get('/sign-in', (c) => {
    const next = safeReturnPath(c.req.query('next'));
    if (signInMode() === 'cognito') {
      const settings = cognito();
      if (!settings) return errorPage(c, 500, 'Sign-in is not set up', 'This service has no sign-in configured. Contact its administrators.');
      return c.redirect(cognitoAuthorizeUrl(c, settings, next), 302);
    }
    if (!deps.signIn) return errorPage(c, 404, 'Page not found', 'Signing in with a role picker is only available on the local stack.');
    return render(c, 'sign-in.njk', { title: 'Sign in', csrfToken: signInCsrfToken(c), next, values: {} });
  });

  pages.post('/sign-in', async (c) => {
    if (signInMode() !== 'local' || !deps.signIn) return errorPage(c, 404, 'Page not found', 'Signing in with a role picker is only available on the local stack.');
    const values = await readForm(c);
    if (!checkSignInCsrf(c, values[CSRF_FIELD])) throw new CsrfRefusedError();
    const next = safeReturnPath(values.next);
    const parsed = SignInForm.safeParse({ role: values.role ?? '', name: values.name ?? '' });
    if (!parsed.success) {
      const errors = new FormErrors();
      for (const issue of parsed.error.issues) {
        const id = String(issue.path[0]);
        errors.add(id, issue.message, id === 'role' ? '#role' : '#name');
      }
      return render(c, 'sign-in.njk', { title: 'Sign in', csrfToken: signInCsrfToken(c), next, values, errors: errors.sort(['role', 'name']) }, 422);
    }
    startSession(c, await deps.signIn(parsed.data.role, parsed.data.name));
    endSignIn(c);
    return c.redirect(next, 303);
  });

  pages.get('/auth/callback', async (c) => {
    const settings = cognito();
    if (signInMode() !== 'cognito' || !settings) return errorPage(c, 404, 'Page not found', 'There is nothing here.');
    try {
      const { idToken, next } = await exchangeCognitoCode(c, settings, fetcher);
      // The same check every page makes: the token must be one the API itself accepts.
      await deps.authenticator.authenticate({ bearerToken: idToken });
      startSession(c, idToken);
      return c.redirect(next, 303);
    } catch (error) {
      if (error instanceof SignInFailedError || (error instanceof AppError && error.status < 500)) {
        return errorPage(c, 400, 'Sign-in failed', `${error.message} Try signing in again.`, { signInAgain: true });
      }
      throw error;
    }
  });

  pages.get('/sign-out', (c) => {
    endSession(c);
    const settings = cognito();
    if (signInMode() === 'cognito' && settings) return c.redirect(cognitoLogoutUrl(c, settings), 302);
    return c.redirect('/signed-out', 302);
  });

  pages.get('/signed-out', (c) => render(c, 'signed-out.njk', { title: 'You have signed out' }));

  // ----- The list of letters ----------------------------------------------------------------

  pages.get('/letters', async (c) => {
    const actor = actorOf(c);
    const raw = { authority: c.req.query('authority') ?? '', status: c.req.query('status') ?? '', cursor: c.req.query('cursor') ?? '' };
    const query = ListQuery.safeParse({
      authority: raw.authority.trim() || undefined,
      status: raw.status || undefined,
      cursor: raw.cursor || undefined,
      limit: 20,
    });
    const errors = new FormErrors();
    let items: ReturnType<typeof listRowView>[] = [];
    let nextCursor: string | undefined;
    if (!query.success) {
      addIssues(errors, query.error.issues, raw, [
        { id: 'authority', kind: 'text', label: 'Council', noun: 'the council' },
        { id: 'status', kind: 'yesNo', label: 'Status', noun: 'a status' },
        { id: 'cursor', kind: 'text', label: 'Page', noun: 'the page' },
      ]);
    } else {
      try {
        const page = await listLetters(deps, actor, query.data);
        items = page.items.map(listRowView);
        nextCursor = page.nextCursor;
      } catch (error) {
        // A cursor from another search, or a status a reader may not search for.
        if (!(error instanceof AppError) || error.status >= 500 || error.status === 401) throw error;
        errors.add('status', error.fields[0] ? `${error.fields[0].field}: ${error.fields[0].message}` : error.message);
      }
    }
    const search = new URLSearchParams();
    if (raw.authority.trim()) search.set('authority', raw.authority.trim());
    if (raw.status) search.set('status', raw.status);
    const nextUrl = nextCursor ? `/letters?${new URLSearchParams([...search, ['cursor', nextCursor]]).toString()}` : undefined;
    const statuses = actor.role === 'reader' ? STATUS_OPTIONS.filter((s) => s !== 'draft' && s !== 'submitted') : STATUS_OPTIONS;
    return render(c, 'letters.njk', {
      title: 'Letters',
      items,
      values: raw,
      statusItems: [{ value: '', text: 'Any status' }, ...statuses.map((s) => ({ value: s, text: statusTag(s).text }))],
      searched: Boolean(raw.authority.trim() || raw.status),
      firstPageUrl: raw.cursor ? `/letters${search.size ? `?${search}` : ''}` : undefined,
      nextUrl,
      canCreate: can(actor.role, 'create'),
      errors,
    }, errors.any ? 400 : 200);
  });

  // ----- Creating and changing a letter's facts -----------------------------------------------

  const letterForm = (c: PageContext, data: { values: FormValues; errors?: FormErrors; letter?: Letter; conflict?: boolean }, status = 200) =>
    render(c, 'letter-form.njk', {
      title: data.letter ? 'Change the letter’s details' : 'Create a letter',
      sections: LETTER_SECTIONS,
      action: data.letter ? `/letters/${data.letter.id}/edit` : '/letters/new',
      ...data,
    }, status);

  pages.get('/letters/new', (c) => {
    if (!can(actorOf(c).role, 'create')) throw new ForbiddenError(`The ${actorOf(c).role} role cannot create letters.`);
    return letterForm(c, { values: {} });
  });

  pages.post('/letters/new', async (c) => {
    const values = c.get('form');
    const { facts, errors } = parseLetterForm(values);
    if (!facts) return letterForm(c, { values, errors }, 422);
    try {
      const letter = await createLetter(deps, actorOf(c), { ...facts, findings: [] });
      return c.redirect(`/letters/${letter.id}?done=created`, 303);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      addProblems(errors, error.fields, LETTER_FIELDS, 'authority-name');
      return letterForm(c, { values, errors }, 422);
    }
  });

  pages.get('/letters/:id/edit', async (c) => {
    const letter = await getLetter(deps, actorOf(c), idParam(c, 'id'));
    if (letter.status !== 'draft') return redirectToLetter(c, letter.id);
    return letterForm(c, { values: { ...formFromFacts(letter.facts), version: String(letter.version) }, letter });
  });

  pages.post('/letters/:id/edit', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const current = await getLetter(deps, actorOf(c), id);
    const { facts, errors } = parseLetterForm(values);
    if (!facts) return letterForm(c, { values, errors, letter: current }, 422);
    const patch = changedFacts(current.facts, facts);
    if (Object.keys(patch).length === 0) return c.redirect(`/letters/${id}?done=unchanged`, 303);
    try {
      await updateLetter(deps, actorOf(c), id, versionOf(values) ?? 0, patch);
      return c.redirect(`/letters/${id}?done=saved`, 303);
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        // Someone saved the letter since this form was opened: keep what this person typed, tell
        // them, and let a second save (now at the current version) replace the other change.
        errors.add(
          'form',
          `Someone else changed this letter while you were editing it. Your changes have not been saved yet. Check them and save again to replace the other changes, or open the letter to see them.`,
          `/letters/${id}`,
        );
        return letterForm(c, { values: { ...values, version: String(current.version) }, errors, letter: current, conflict: true }, 409);
      }
      if (error instanceof ValidationError) {
        addProblems(errors, error.fields, LETTER_FIELDS, 'authority-name');
        return letterForm(c, { values, errors, letter: current }, 422);
      }
      return actionFailed(c, id, error);
    }
  });

  // ----- Findings -----------------------------------------------------------------------------

  const findingForm = (c: PageContext, letter: Letter, data: { values: FormValues; errors?: FormErrors; findingId?: string }, status = 200) =>
    render(c, 'finding-form.njk', {
      title: data.findingId ? 'Change a finding' : 'Add a finding',
      letter,
      maxlength: LIMITS.findingText,
      action: data.findingId ? `/letters/${letter.id}/findings/${data.findingId}/edit` : `/letters/${letter.id}/findings/new`,
      ...data,
    }, status);

  const findingOf = (letter: Letter, findingId: string) => {
    const finding = letter.findings.find((f) => f.id === findingId);
    if (!finding) throw new NotFoundError(`The letter has no finding with the id ${JSON.stringify(findingId)}.`);
    return finding;
  };

  pages.get('/letters/:id/findings/new', async (c) => {
    const letter = await getLetter(deps, actorOf(c), idParam(c, 'id'));
    if (letter.status !== 'draft' || !can(actorOf(c).role, 'edit')) return redirectToLetter(c, letter.id);
    return findingForm(c, letter, { values: { category: c.req.query('category') ?? '' } });
  });

  pages.post('/letters/:id/findings/new', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const { finding, errors } = parseFindingForm(values);
    if (!finding) return findingForm(c, await getLetter(deps, actorOf(c), id), { values, errors }, 422);
    try {
      await addFinding(deps, actorOf(c), id, finding);
      return c.redirect(`/letters/${id}?done=finding-added#${finding.category}`, 303);
    } catch (error) {
      if (!(error instanceof ValidationError)) return actionFailed(c, id, error);
      addProblems(errors, error.fields, FINDING_FIELDS, 'text');
      return findingForm(c, await getLetter(deps, actorOf(c), id), { values, errors }, 422);
    }
  });

  pages.get('/letters/:id/findings/:findingId/edit', async (c) => {
    const letter = await getLetter(deps, actorOf(c), idParam(c, 'id'));
    const finding = findingOf(letter, idParam(c, 'findingId'));
    if (letter.status !== 'draft' || !can(actorOf(c).role, 'edit')) return redirectToLetter(c, letter.id);
    return findingForm(c, letter, { values: { category: finding.category, text: finding.text }, findingId: finding.id });
  });

  pages.post('/letters/:id/findings/:findingId/edit', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    const values = c.get('form');
    const { finding, errors } = parseFindingForm(values);
    if (!finding) return findingForm(c, await getLetter(deps, actorOf(c), id), { values, errors, findingId }, 422);
    try {
      await updateFinding(deps, actorOf(c), id, findingId, undefined, finding);
      return c.redirect(`/letters/${id}?done=finding-saved#${finding.category}`, 303);
    } catch (error) {
      if (!(error instanceof ValidationError)) return actionFailed(c, id, error);
      addProblems(errors, error.fields, FINDING_FIELDS, 'text');
      return findingForm(c, await getLetter(deps, actorOf(c), id), { values, errors, findingId }, 422);
    }
  });

  pages.get('/letters/:id/findings/:findingId/remove', async (c) => {
    const letter = await getLetter(deps, actorOf(c), idParam(c, 'id'));
    const finding = findingOf(letter, idParam(c, 'findingId'));
    if (letter.status !== 'draft' || !can(actorOf(c).role, 'edit')) return redirectToLetter(c, letter.id);
    return render(c, 'finding-remove.njk', { title: 'Remove this finding?', letter, finding });
  });

  pages.post('/letters/:id/findings/:findingId/remove', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    try {
      await removeFinding(deps, actorOf(c), id, findingId, undefined);
    } catch (error) {
      return actionFailed(c, id, error);
    }
    return c.redirect(`/letters/${id}?done=finding-removed#findings`, 303);
  });

  // ----- Submitting, returning, approving -----------------------------------------------------

  pages.post('/letters/:id/submit', async (c) => {
    const id = idParam(c, 'id');
    try {
      await submitLetter(deps, actorOf(c), id, versionOf(c.get('form')));
    } catch (error) {
      return actionFailed(c, id, error);
    }
    return c.redirect(`/letters/${id}?done=submitted`, 303);
  });

  const returnForm = (c: PageContext, letter: Letter, values: FormValues, errors?: FormErrors, status = 200) =>
    render(c, 'return-form.njk', { title: 'Return the letter to its inspectors', letter, values, errors, maxlength: LIMITS.comment }, status);

  pages.get('/letters/:id/return', async (c) => {
    const letter = await getLetter(deps, actorOf(c), idParam(c, 'id'));
    if (letter.status !== 'submitted' || !can(actorOf(c).role, 'return')) return redirectToLetter(c, letter.id);
    return returnForm(c, letter, { version: String(letter.version) });
  });

  pages.post('/letters/:id/return', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const { comment, errors } = parseReturnForm(values);
    if (comment === undefined) return returnForm(c, await getLetter(deps, actorOf(c), id), values, errors, 422);
    try {
      await returnLetter(deps, actorOf(c), id, comment, versionOf(values));
    } catch (error) {
      if (!(error instanceof ValidationError)) return actionFailed(c, id, error);
      addProblems(errors, error.fields, RETURN_FIELDS, 'comment');
      return returnForm(c, await getLetter(deps, actorOf(c), id), values, errors, 422);
    }
    return c.redirect(`/letters/${id}?done=returned`, 303);
  });

  pages.post('/letters/:id/approve', async (c) => {
    const id = idParam(c, 'id');
    const version = versionOf(c.get('form'));
    try {
      // Approval names the version the manager read: a letter changed since is not approved.
      await approveLetter(deps, actorOf(c), id, version ?? 0);
    } catch (error) {
      return actionFailed(c, id, error);
    }
    return c.redirect(`/letters/${id}?done=approved`, 303);
  });

  pages.post('/letters/:id/redistribute', async (c) => {
    const id = idParam(c, 'id');
    try {
      await redistributeLetter(deps, actorOf(c), id);
    } catch (error) {
      return actionFailed(c, id, error);
    }
    return c.redirect(`/letters/${id}?done=redistributed#deliveries`, 303);
  });

  // ----- Reading a letter, its previews and its PDF -------------------------------------------

  pages.get('/letters/:id', async (c) => {
    const letter = await getLetter(deps, actorOf(c), idParam(c, 'id'));
    const done = DONE[c.req.query('done') ?? ''];
    return letterPage(c, letter, { flash: done });
  });

  pages.get('/letters/:id/preview', async (c) => {
    const html = await previewHtml(deps, actorOf(c), idParam(c, 'id'));
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PREVIEW_CSP });
  });

  pages.get('/letters/:id/preview.pdf', async (c) => {
    const id = idParam(c, 'id');
    const pdf = await previewPdf(deps, actorOf(c), id);
    return c.body(new Uint8Array(pdf), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="draft-${id}.pdf"`,
      // The browser's PDF viewer is not a page of ours: it needs no scripts of ours either.
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'self'",
    });
  });

  pages.get('/letters/:id/pdf', async (c) => c.redirect(await retrievePdf(deps, actorOf(c), idParam(c, 'id')), 302));

  // ----- The local outbox ---------------------------------------------------------------------

  pages.get('/dev/outbox.html', async (c) => {
    if (!deps.outbox) return errorPage(c, 404, 'Page not found', 'The outbox exists only on the local stack.');
    // Open to anyone, like /dev/outbox; a session, when there is one, only fills in the navigation.
    const token = sessionToken(c);
    if (token) {
      const actor = await deps.authenticator.authenticate({ bearerToken: token }).catch(() => undefined);
      if (actor) c.set('actor', actor);
    }
    // The mail emulator stamps messages in seconds since the epoch.
    const messages = (await deps.outbox()).map((m) => ({ ...m, sentAt: new Date(m.at * 1000).toISOString() })).reverse();
    return render(c, 'outbox.njk', { title: 'Outbox', messages });
  });

  pages.all('/letters/*', () => {
    throw new NotFoundError('There is no page at this address.');
  });

  // ----- Helpers that need the routes' scope --------------------------------------------------

  function redirectToLetter(c: PageContext, id: string) {
    return c.redirect(`/letters/${id}`, 303);
  }

  async function letterPage(c: PageContext, letter: Letter, extra: { flash?: string; errors?: FormErrors } = {}, status = 200) {
    const view = letterPageView(letter, actorOf(c));
    return render(c, 'letter.njk', { title: `${letter.facts.authority.name}, ${view.letterDate}`, letter, view, ...extra }, status);
  }

  /**
   * An action on the letter page that the letter's state refused (a letter changed meanwhile,
   * submitted without findings): the letter page again, with the reason in its error summary.
   */
  async function actionFailed(c: PageContext, id: string, error: unknown) {
    if (!(error instanceof AppError) || ![409, 412, 422].includes(error.status)) throw error;
    const errors = new FormErrors();
    if (error instanceof ValidationError && error.fields.length) {
      for (const p of error.fields) {
        const anchor = p.field === 'findings' ? 'findings' : 'actions';
        errors.add(anchor, p.field === 'findings' ? 'Add at least one finding before submitting the letter' : `${p.field} ${p.message}`);
      }
    } else if (error instanceof PreconditionFailedError) {
      errors.add('actions', 'The letter has changed since you opened it. Read it again before you act on it.');
    } else {
      errors.add('actions', error.message);
    }
    return letterPage(c, await getLetter(deps, actorOf(c), id), { errors }, error.status);
  }

  return pages;
}
