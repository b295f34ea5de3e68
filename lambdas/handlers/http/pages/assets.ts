import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ViewPaths } from './views';

export interface Asset {
  body: Uint8Array;
  contentType: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The stylesheets and scripts are linked with `?v=<hash>`, so a browser may keep them for a
// year; the rest (source maps, the icon) may change under the same name.
const FOREVER = 'public, max-age=31536000, immutable';
const A_WEEK = 'public, max-age=604800';

export interface AssetStore {
  get(path: string): Asset | undefined;
  /** Changes whenever the stylesheets or scripts change: the `?v=` of their links. */
  version: string;
}

/**
 * The files under `/assets/`, read once into memory from a fixed list: no request path ever
 * reaches the file system, so nothing outside these folders can be served. The stylesheet is
 * our build of govuk-frontend's (templates/pages/assets): no GOV.UK typeface, so no fonts, and
 * none of the package's GOV.UK icons.
 */
export function loadAssets(paths: ViewPaths): AssetStore {
  const govuk = join(paths.govukFrontendDir, 'govuk');
  const ours = join(paths.pagesDir, 'assets');
  const sources: [string, string, string][] = [
    ['govuk-frontend.min.css', join(ours, 'govuk-frontend.min.css'), FOREVER],
    ['govuk-frontend.min.js', join(govuk, 'govuk-frontend.min.js'), FOREVER],
    ['govuk-frontend.min.js.map', join(govuk, 'govuk-frontend.min.js.map'), A_WEEK],
    ['application.css', join(ours, 'application.css'), FOREVER],
    ['session-timeout.js', join(ours, 'session-timeout.js'), FOREVER],
    ['favicon.svg', join(ours, 'favicon.svg'), A_WEEK],
  ];
  const assets = new Map<string, Asset>();
  const versioned = createHash('sha256');
  for (const [path, file, cacheControl] of sources) {
    const contentType = TYPES[extname(path)];
    if (!contentType) continue;
    const body = new Uint8Array(readFileSync(file));
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
    if (cacheControl === FOREVER) versioned.update(hash);
    assets.set(path, { body, contentType, etag: `"${hash}"`, cacheControl });
  }
  const version = versioned.digest('base64url').slice(0, 10);
  // The one script of our own: it starts govuk-frontend's components. Written here so its import
  // names the same versioned URL as the pages do.
  const script = new TextEncoder().encode(
    `import { initAll } from '/assets/govuk-frontend.min.js?v=${version}';\ninitAll();\n`,
  );
  assets.set('application.js', {
    body: script,
    contentType: TYPES['.js'],
    etag: `"${createHash('sha256').update(script).digest('base64url').slice(0, 16)}"`,
    cacheControl: FOREVER,
  });
  return { get: (path) => assets.get(path), version };
}
