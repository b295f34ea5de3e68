import { Hono } from 'hono';
import { NotFoundError } from '../../../core/errors';
import { deliveryPages } from './delivery-pages';
import { draftingPages } from './drafting-pages';
import { letterListPages } from './letter-list-pages';
import { createPageKit, type PageDependencies, type PageEnv } from './page-kit';
import { pageErrors, requireSession, sameOrigin, securityHeaders } from './page-middleware';
import { recordPages } from './record-pages';
import { reviewPages } from './review-pages';
import { signInPages } from './sign-in-pages';

export type { PageExtension, PageOptions } from './page-kit';

/** Paths the pages answer; middleware is bound to these so the API's routes never run it. */
const PAGE_PATHS = ['/', '/sign-in', '/sign-out', '/signed-out', '/auth/*', '/letters', '/letters/*', '/assets/*'];
const SESSION_PATHS = ['/letters', '/letters/*'];

/**
 * The web pages: sign-in, the list of letters, the forms that draft, submit, return and approve
 * them, and each letter's PDF, deliveries and history. They call the same use cases as the JSON
 * API, with plain form posts and redirects, so they work without JavaScript.
 */
export function pageRoutes(deps: PageDependencies) {
  const pages = new Hono<PageEnv>();
  const kit = createPageKit(deps);
  const extensions = deps.extensions ?? [];

  const paths = [...PAGE_PATHS, ...extensions.flatMap((e) => e.paths ?? [])];
  for (const path of paths) pages.use(path, securityHeaders);
  for (const path of paths) pages.on('POST', path, sameOrigin);
  for (const path of SESSION_PATHS) pages.use(path, requireSession(kit));
  pages.onError(pageErrors(kit));

  pages.get('/assets/*', (c) => {
    const asset = kit.assets().get(c.req.path.slice('/assets/'.length));
    if (!asset) return c.text('Not found', 404);
    const headers = { 'Content-Type': asset.contentType, 'Cache-Control': asset.cacheControl, ETag: asset.etag };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, headers);
  });

  signInPages(pages, kit);
  letterListPages(pages, kit);
  // Drafting first: its /letters/new must be matched before the letter page's /letters/:id.
  draftingPages(pages, kit);
  reviewPages(pages, kit);
  deliveryPages(pages, kit);
  recordPages(pages, kit);
  for (const extension of extensions) extension.routes?.(pages, kit);

  pages.all('/letters/*', () => {
    throw new NotFoundError('There is no page at this address.');
  });
  return pages;
}
