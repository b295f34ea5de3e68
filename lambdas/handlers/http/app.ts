import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { AppError, MalformedRequestError, UnauthorizedError } from '../../core/errors';
import type { Config } from '../../config';
import type { Actor } from '../../core/letter';
import type { Authenticator } from '../../core/ports';
import type { ApiDependencies, ApiEnv } from './api-context';
import { apiDocsRoutes, DOCS_CSP } from './api-docs-routes';
import { councilRoutes } from './council-routes';
import { letterRoutes } from './letter-routes';
import { recordRoutes, verifyRoutes } from './record-routes';
import { type PageOptions, pageRoutes } from './pages/page-routes';
import { internalErrorResponse, problemResponse } from './problem';

/** The API's dependencies and the pages' options: the local stack adds its own pages here. */
export type AppDependencies = ApiDependencies & PageOptions & { config?: Partial<Pick<Config, 'SWAGGER_UI_DIR'>> };

const CORRELATION_ID = /^[\w-]{8,64}$/;

/** Who is calling: a verified bearer token, or claims API Gateway's authorizer already verified. */
export async function authenticate(c: Context<ApiEnv>, authenticator: Authenticator, cookieToken?: string): Promise<Actor> {
  const header = c.req.header('authorization');
  let bearerToken = cookieToken;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('Send the token as "Authorization: Bearer <token>".');
    bearerToken = match[1];
  }
  const verifiedClaims = header !== undefined ? c.env?.event?.requestContext?.authorizer?.jwt?.claims : undefined;
  return authenticator.authenticate({ bearerToken, verifiedClaims });
}

export function createApp(deps: AppDependencies): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.use(async (c, next) => {
    const given = c.req.header('x-correlation-id');
    const correlationId =
      given && CORRELATION_ID.test(given) ? given : (c.env?.event?.requestContext?.requestId ?? randomUUID());
    c.set('correlationId', correlationId);
    await next();
    c.header('X-Correlation-Id', correlationId);
    c.header('Cache-Control', c.res.headers.get('Cache-Control') ?? 'no-store');
  });
  const secure = { strictTransportSecurity: 'max-age=31536000; includeSubDomains', crossOriginResourcePolicy: 'same-origin', referrerPolicy: 'no-referrer' };
  const apiHeaders = secureHeaders({ ...secure, contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } });
  // The docs page is a page: it runs Swagger UI's script and styles, all served from here.
  const docsHeaders = secureHeaders({ ...secure, contentSecurityPolicy: {} });
  // The archived HTML twin is a document to show, under its own sandboxing policy (set by its route).
  const archivedHtmlHeaders = secureHeaders({ ...secure, contentSecurityPolicy: undefined });
  app.use('/api/*', async (c, next) => {
    if (/^\/api\/letters\/[^/]+\/html$/.test(c.req.path)) return archivedHtmlHeaders(c, next);
    if (c.req.path !== '/api/docs' && !c.req.path.startsWith('/api/docs/')) return apiHeaders(c, next);
    await docsHeaders(c, next);
    c.header('Content-Security-Policy', DOCS_CSP);
  });

  app.get('/health', (c) => c.json({ status: 'ok' }));
  // Open: registered before the token check, which they answer without reaching. Whoever
  // received a letter may check it without an account.
  app.route('/api', apiDocsRoutes({ swaggerUiDir: deps.config?.SWAGGER_UI_DIR }));
  app.route('/api', verifyRoutes(deps));

  app.use('/api/*', async (c, next) => {
    c.set('actor', await authenticate(c, deps.authenticator));
    await next();
  });
  app.route('/api', letterRoutes(deps));
  app.route('/api', recordRoutes(deps));
  app.route('/api', councilRoutes(deps));
  // The web forms: same function, same use cases, a session cookie instead of a bearer header.
  app.route('/', pageRoutes(deps));

  app.notFound((c) => problemResponse(c, new AppError(404, 'Not found', `There is nothing at ${c.req.method} ${c.req.path}.`), c.get('correlationId')));
  app.onError((error, c) => {
    const correlationId = c.get('correlationId') ?? randomUUID();
    if (error instanceof AppError) return problemResponse(c, error, correlationId);
    // Hono raises its own HTTP errors for malformed requests it refuses before our code runs.
    const status = (error as unknown as { status?: number }).status;
    if (status && status < 500) {
      return problemResponse(c, new MalformedRequestError(error.message), correlationId);
    }
    deps.logger.error('request failed', { correlationId, method: c.req.method, path: c.req.path, error });
    return internalErrorResponse(c, correlationId);
  });
  return app;
}
