import { type Context, Hono } from 'hono';
import { MalformedRequestError } from '../../core/errors';
import { checkIntegrity, letterAccessLog, letterHistory, retrieveHtml, verifyPdf } from '../../core/use-cases/letter-record';
import type { ApiDependencies, ApiEnv } from './api-context';
import { eventResponse } from './letter-view';
import { PageQuery } from './openapi';
import { idParam, queryParams } from './request';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * What the archived HTML may do when opened: nothing but show itself. `sandbox` gives it an
 * opaque origin with no scripts, forms or navigation, whatever the document says.
 */
export const archivedHtmlPolicy = (template: { contentSecurityPolicy: string }) =>
  `${template.contentSecurityPolicy}; sandbox; frame-ancestors 'self'`;

/** A letter's record: its history, access log and integrity, and the archived HTML twin. */
export function recordRoutes(deps: ApiDependencies) {
  const api = new Hono<ApiEnv>();

  api.get('/letters/:id/history', async (c) => {
    const page = await letterHistory(deps, c.get('actor'), idParam(c, 'id'), queryParams(c, PageQuery));
    return c.json({ items: page.items.map(eventResponse), nextCursor: page.nextCursor ?? null });
  });

  api.get('/letters/:id/access', async (c) => {
    const page = await letterAccessLog(deps, c.get('actor'), idParam(c, 'id'), queryParams(c, PageQuery));
    return c.json({ items: page.items, nextCursor: page.nextCursor ?? null });
  });

  api.get('/letters/:id/integrity', async (c) => c.json(await checkIntegrity(deps, c.get('actor'), idParam(c, 'id'))));

  api.get('/letters/:id/html', async (c) => {
    const html = await retrieveHtml(deps, c.get('actor'), idParam(c, 'id'), { record: c.req.method !== 'HEAD' });
    return c.body(new Uint8Array(html), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': archivedHtmlPolicy(deps.template),
    });
  });

  return api;
}

/** The client a request came from, as API Gateway saw it: the unit the verify route's limit counts. */
function clientOf(c: Context<ApiEnv>): string {
  return c.env?.event?.requestContext?.http?.sourceIp ?? 'unknown';
}

/** Open to anyone: which archived letter a PDF with this SHA-256 is. */
export function verifyRoutes(deps: ApiDependencies) {
  const api = new Hono<ApiEnv>();
  api.get('/verify/:sha256', async (c) => {
    const sha256 = (c.req.param('sha256') ?? '').toLowerCase();
    if (!SHA256.test(sha256)) {
      throw new MalformedRequestError('Give the PDF\'s SHA-256 as 64 hexadecimal digits.', [{ field: 'sha256', message: 'must be 64 hexadecimal digits' }]);
    }
    return c.json(await verifyPdf(deps, clientOf(c), sha256));
  });
  return api;
}
