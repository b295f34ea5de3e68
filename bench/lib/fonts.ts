import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fontconfigFile } from '../../lambdas/adapters/chromium/fontconfig';
import { letterFonts } from '../../lambdas/adapters/templates/letter-fonts';

/**
 * The ways a letter's fonts can reach a renderer, so each renderer can be measured in its best
 * configuration and the project's path against the one it replaced.
 */

const FONT_FACE = /@font-face\s*\{[^}]*\}\s*/g;

/** The HTML with every @font-face rule taken out: the fonts must then come from fontconfig. */
export function withoutWebFonts(html: string): string {
  return html.replace(FONT_FACE, '');
}

/** Browser or WeasyPrint environment in which the letter's fonts are found by family name. */
export function letterFontEnvironment(): Record<string, string> {
  return { FONTCONFIG_FILE: fontconfigFile(letterFonts().files) };
}

let dataUrlFaces: string | undefined;

/**
 * Arimo as the template used to inline it: four @font-face rules (latin and latin-ext, 400 and
 * 700) with the @fontsource/arimo WOFF2 files as base64 data: URLs, every byte of them parsed
 * again with each letter.
 */
function dataUrlFontFaces(): string {
  if (dataUrlFaces) return dataUrlFaces;
  const dir = dirname(createRequire(import.meta.url).resolve('@fontsource/arimo/package.json'));
  const ranges = JSON.parse(readFileSync(join(dir, 'unicode.json'), 'utf8')) as Record<string, string>;
  const rules: string[] = [];
  for (const subset of ['latin-ext', 'latin']) {
    for (const weight of [400, 700]) {
      const data = readFileSync(join(dir, 'files', `arimo-${subset}-${weight}-normal.woff2`)).toString('base64');
      rules.push(
        `@font-face {\n  font-family: 'Arimo';\n  font-style: normal;\n  font-display: block;\n  font-weight: ${weight};\n` +
          `  src: url(data:font/woff2;base64,${data}) format('woff2');\n  unicode-range: ${ranges[subset]};\n}`,
      );
    }
  }
  dataUrlFaces = rules.join('\n');
  return dataUrlFaces;
}

/** The HTML with Arimo inlined as data: URLs, as the template printed it before fontconfig; the CSP allows them. */
export function withDataUrlFonts(html: string): string {
  const bare = withoutWebFonts(html);
  const at = bare.indexOf('<style>');
  if (at < 0) throw new Error('the letter has no <style> element to put the fonts in');
  const withFonts = `${bare.slice(0, at + '<style>'.length)}\n${dataUrlFontFaces()}\n${bare.slice(at + '<style>'.length)}`;
  return withFonts.replace(/font-src 'none'/, 'font-src data:');
}
