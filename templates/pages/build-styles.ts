/**
 * Builds the pages' copy of GOV.UK Frontend's stylesheet from Sass, with the settings in
 * assets/govuk-frontend.scss. The result is committed, so neither a Lambda nor the local stack
 * runs Sass; run `npm run styles` after changing the settings or upgrading govuk-frontend.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { compile, NodePackageImporter } from 'sass';

const ASSETS = join(import.meta.dirname, 'assets');

export function buildStyles(): string {
  const require = createRequire(import.meta.url);
  const { version } = JSON.parse(readFileSync(require.resolve('govuk-frontend/package.json'), 'utf8')) as { version: string };
  const { css } = compile(join(ASSETS, 'govuk-frontend.scss'), {
    style: 'compressed',
    // Served as text/css; charset=utf-8: no byte order mark in the middle of the file.
    charset: false,
    importers: [new NodePackageImporter()],
    // govuk-frontend's own deprecation notices are for its maintainers.
    quietDeps: true,
  });
  return `/*! govuk-frontend ${version}, built from templates/pages/assets/govuk-frontend.scss by npm run styles */\n${css}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = join(ASSETS, 'govuk-frontend.min.css');
  writeFileSync(target, buildStyles());
  console.log(`Wrote ${target}`);
}
