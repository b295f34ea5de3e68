import type { Context, Hono } from 'hono';
import type { Config } from '../../../config';
import { AppError, PreconditionFailedError, ValidationError } from '../../../core/errors';
import type { Actor, Letter } from '../../../core/letter';
import { LIMITS } from '../../../core/letter-schema';
import { getLetter, listLetters } from '../../../core/use-cases/read-letters';
import type { ApiDependencies, ApiEnv } from '../api-context';
import { type AssetStore, loadAssets } from './assets';
import { capital, FormErrors, type FormValues, formValues } from './form-fields';
import { letterPageView, outgoingEmails, unfinishedPart } from './letter-page';
import type { CognitoSettings } from './session';
import { peekPostedForm, whatWasPosted } from './resume';
import { secondsToExpiry, sessionToken } from './session';
import { createViewEnvironment, resolveViewPaths } from './views';

export type PageEnv = {
  Bindings: ApiEnv['Bindings'];
  Variables: ApiEnv['Variables'] & { cspNonce: string; csrfToken: string; form: FormValues };
};
export type PageContext = Context<PageEnv>;

/**
 * Pages that only some deployments have. The local stack adds its role picker and its outbox
 * this way, so neither is part of the function deployed to AWS.
 */
export interface PageExtension {
  /** Paths its routes answer: they get the pages' security headers and origin check. */
  paths?: string[];
  routes?(pages: Hono<PageEnv>, kit: PageKit): void;
  /** Signs people in without the hosted UI: answers GET and POST /sign-in when sign-in is local. */
  signIn?: {
    show(c: PageContext, kit: PageKit): Response | Promise<Response>;
    submit(c: PageContext, kit: PageKit): Promise<Response>;
    /** A new token for the person already signed in, when they ask to stay signed in. */
    refresh?(c: PageContext, actor: Actor): Promise<string>;
  };
  /** A link in the service navigation, shown to everyone. */
  navigation?: { href: string; text: string };
  /** A phase banner on every page, saying what kind of copy of the service this is. */
  banner?: { tag: string; text: string };
}

/** What the pages take beyond the API's dependencies. */
export interface PageOptions {
  extensions?: PageExtension[];
  /** Calls Cognito's token endpoint; a stand-in in tests. */
  fetch?: typeof fetch;
  config?: Partial<Pick<Config, 'SIGN_IN_MODE' | 'COGNITO_HOSTED_UI_URL' | 'COGNITO_CLIENT_ID' | 'GOVUK_FRONTEND_DIR' | 'TEMPLATES_DIR'>>;
}

export type PageDependencies = ApiDependencies & PageOptions;

/** A form post that did not carry the session's CSRF token. */
export class CsrfRefusedError extends AppError {
  constructor() {
    super(403, 'Forbidden', 'The form could not be checked. Go back, reload the page and try again.');
  }
}

/** What every group of pages is built with: the dependencies and the ways to answer a request. */
export interface PageKit {
  deps: PageDependencies;
  assets(): AssetStore;
  render(c: PageContext, template: string, data?: Record<string, unknown>, status?: number): Response;
  errorPage(c: PageContext, status: number, title: string, message: string, extra?: Record<string, unknown>): Response;
  /** Reads a urlencoded form within the API's body limit. */
  readForm(c: PageContext): Promise<FormValues>;
  signInMode(): 'local' | 'cognito';
  cognito(): CognitoSettings | undefined;
  /** For pages open to anyone: the person the session names, when there is a valid one. */
  sessionActor(c: PageContext): Promise<Actor | undefined>;
  /** The letter page, with a message or the errors of an action it offered. */
  letterPage(c: PageContext, letter: Letter, extra?: { flash?: string; errors?: FormErrors }, status?: number): Response;
  /** Councils the search form offers and completes names from. */
  councilNames(c: PageContext): Promise<string[]>;
  /** An action the letter's state refused: the letter page again, the reason in its error summary. */
  actionFailed(c: PageContext, id: string, error: unknown): Promise<Response>;
}

export function createPageKit(deps: PageDependencies): PageKit {
  const extensions = deps.extensions ?? [];
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

  function render(c: PageContext, template: string, data: Record<string, unknown> = {}, status = 200) {
    const v = views();
    const actor = c.get('actor') as Actor | undefined;
    const navigation = [
      ...(actor ? [{ href: '/letters', text: 'Letters', active: c.req.path.startsWith('/letters') }] : []),
      ...extensions.flatMap((e) => (e.navigation ? [{ ...e.navigation, active: c.req.path === e.navigation.href }] : [])),
      ...(actor ? [{ text: `${actor.name} (${actor.role})` }, { href: '/sign-out', text: 'Sign out' }] : []),
    ];
    // Pages of a session say when it ends, for the warning that offers to extend it.
    const token = actor ? sessionToken(c) : undefined;
    const expiresAt = token ? Math.floor(Date.now() / 1000) + secondsToExpiry(token) : undefined;
    // Signing in again after a form was kept: say what it is for.
    const kept = c.req.path === '/sign-in' ? peekPostedForm(c) : undefined;
    const html = v.env.render(template, {
      bodyAttributes: expiresAt ? { 'data-session-expires': String(expiresAt) } : undefined,
      sessionWarning: Boolean(expiresAt),
      signedOutNotice: kept ? `You were signed out. Sign in to save ${whatWasPosted(kept.path).what}.` : undefined,
      cspNonce: c.get('cspNonce'),
      assetVersion: v.assets.version,
      actor,
      csrfToken: c.get('csrfToken'),
      banner: extensions.find((e) => e.banner)?.banner,
      navigation,
      errors: new FormErrors(),
      values: {},
      ...data,
    });
    return c.html(html, status as 200);
  }

  const errorPage: PageKit['errorPage'] = (c, status, title, message, extra = {}) =>
    render(c, 'error.njk', { title, message, status, ...extra }, status);

  function letterPage(c: PageContext, letter: Letter, extra: { flash?: string; errors?: FormErrors } = {}, status = 200) {
    const view = letterPageView(letter, c.get('actor'));
    const emails = view.canReview ? outgoingEmails(letter, undefined) : [];
    return render(c, 'letter.njk', { title: `${view.council}, ${view.letterDate}`, letter, view, emails, ...extra }, status);
  }

  return {
    deps,
    assets: () => views().assets,
    render,
    errorPage,
    letterPage,

    async readForm(c) {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type)) {
        throw new AppError(415, 'Unsupported media type', 'Send the form as application/x-www-form-urlencoded.');
      }
      const raw = await c.req.text();
      if (Buffer.byteLength(raw, 'utf8') > LIMITS.body) {
        throw new AppError(413, 'Payload too large', 'The form is too large to send. Shorten the text and try again.');
      }
      return formValues(new URLSearchParams(raw));
    },

    signInMode: () => deps.config?.SIGN_IN_MODE ?? (extensions.some((e) => e.signIn) ? 'local' : 'cognito'),

    cognito: () =>
      deps.config?.COGNITO_HOSTED_UI_URL && deps.config.COGNITO_CLIENT_ID
        ? { hostedUiUrl: deps.config.COGNITO_HOSTED_UI_URL, clientId: deps.config.COGNITO_CLIENT_ID }
        : undefined,

    async sessionActor(c) {
      const token = sessionToken(c);
      return token ? deps.authenticator.authenticate({ bearerToken: token }).catch(() => undefined) : undefined;
    },

    async councilNames(c) {
      // The councils of the newest letters this person may see, until the directory lists them all.
      const page = await listLetters(deps, c.get('actor'), { limit: 100 });
      const names = page.items.map((l) => (l.facts as Partial<Letter['facts']>).authority?.name).filter((n): n is string => !!n);
      return [...new Set(names)].sort((a, b) => a.localeCompare(b, 'en-GB'));
    },

    async actionFailed(c, id, error) {
      // A refusal about this letter (four eyes, its state, its version) is shown on the letter itself.
      if (!(error instanceof AppError) || ![403, 409, 412, 422].includes(error.status)) throw error;
      const errors = new FormErrors();
      if (error instanceof ValidationError && error.fields.length) {
        for (const p of error.fields) {
          if (p.field === 'findings') errors.add('findings', 'Add at least one finding before submitting the letter');
          else errors.add(`task-${p.field.split('.')[0]}`, `${capital(unfinishedPart(p.field))} is not finished: complete it before submitting the letter`, '#actions');
        }
      } else if (error instanceof PreconditionFailedError) {
        errors.add('actions', 'The letter has changed since you opened it. Read it again before you act on it.');
      } else {
        errors.add('actions', error.message);
      }
      return letterPage(c, await getLetter(deps, c.get('actor'), id), { errors }, error.status);
    },
  };
}
