import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import nunjucks from 'nunjucks';
import { formatLongDate, formatMonth } from '../../../core/letter-text';

export interface ViewPaths {
  /** govuk-frontend's `dist` folder: holds `govuk/template.njk`, the macros and the compiled assets. */
  govukFrontendDir: string;
  /** Our pages: `templates/pages`. */
  pagesDir: string;
}

/**
 * Finds govuk-frontend from the working directory rather than this module, so the same code
 * works from source, from a bundle, and in a Lambda whose package sits beside the handler.
 */
export function resolveViewPaths(config: { GOVUK_FRONTEND_DIR?: string; TEMPLATES_DIR?: string } = {}): ViewPaths {
  let govukFrontendDir = config.GOVUK_FRONTEND_DIR;
  if (!govukFrontendDir) {
    const require = createRequire(join(process.cwd(), 'package.json'));
    govukFrontendDir = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist');
  }
  const pagesDir = join(config.TEMPLATES_DIR ?? join(process.cwd(), 'templates'), 'pages');
  for (const [name, dir] of [
    ['govuk-frontend', join(govukFrontendDir, 'govuk', 'template.njk')],
    ['page templates', pagesDir],
  ]) {
    if (!existsSync(dir)) throw new Error(`The web pages cannot find their ${name} at ${dir}`);
  }
  return { govukFrontendDir, pagesDir };
}

/** "2011-03-09" → "9 March 2011", "2010-03" → "March 2010", as the letter writes them; anything else as it is. */
export function longDate(iso: unknown): string {
  try {
    if (typeof iso === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(iso)) return formatLongDate(iso);
    if (typeof iso === 'string' && /^\d{4}-\d{2}$/.test(iso)) return formatMonth(iso);
  } catch {
    // Not a real month: show what was stored.
  }
  return String(iso ?? '');
}

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
});

/** An instant as the GOV.UK style writes it, in UK time: "9 March 2011 at 2:05pm". */
export function dateTime(iso: unknown): string {
  const date = new Date(String(iso));
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  const parts = Object.fromEntries(LONDON.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.day} ${parts.month} ${parts.year} at ${parts.hour}:${parts.minute}${String(parts.dayPeriod ?? '').toLowerCase()}`;
}

export function createViewEnvironment(paths: ViewPaths): nunjucks.Environment {
  // Autoescape is on: every value a person typed is text wherever it is shown.
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([paths.govukFrontendDir, paths.pagesDir]), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('longDate', longDate);
  env.addFilter('dateTime', dateTime);
  env.addFilter('formatNumber', (n: unknown) => (typeof n === 'number' ? n.toLocaleString('en-GB') : String(n ?? '')));
  return env;
}
