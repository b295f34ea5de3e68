import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/manifest+json; charset=utf-8',
};

// Fonts carry a hash in their names and the stylesheets and scripts are linked with `?v=<hash>`,
// so a browser may keep them for a year; the rest (icons, manifest) only change with an upgrade.
const FOREVER = 'public, max-age=31536000, immutable';
const A_WEEK = 'public, max-age=604800';

export interface AssetStore {
  get(path: string): Asset | undefined;
  /** Changes whenever the stylesheets or scripts change: the `?v=` of their links. */
  version: string;
}

/**
 * The files under `/assets/`, read once into memory from a fixed list: no request path ever
 * reaches the file system, so nothing outside these folders can be served.
 */
export function loadAssets(paths: ViewPaths): AssetStore {
  const govuk = join(paths.govukFrontendDir, 'govuk');
  const sources: [string, string, string][] = [
    ['govuk-frontend.min.css', join(govuk, 'govuk-frontend.min.css'), FOREVER],
    ['govuk-frontend.min.css.map', join(govuk, 'govuk-frontend.min.css.map'), A_WEEK],
    ['govuk-frontend.min.js', join(govuk, 'govuk-frontend.min.js'), FOREVER],
    ['govuk-frontend.min.js.map', join(govuk, 'govuk-frontend.min.js.map'), A_WEEK],
    ['manifest.json', join(govuk, 'assets', 'manifest.json'), A_WEEK],
    ['application.css', join(paths.pagesDir, 'assets', 'application.css'), FOREVER],
  ];
  for (const folder of ['fonts', 'images']) {
    for (const name of readdirSync(join(govuk, 'assets', folder))) {
      sources.push([`${folder}/${name}`, join(govuk, 'assets', folder, name), folder === 'fonts' ? FOREVER : A_WEEK]);
    }
  }
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
