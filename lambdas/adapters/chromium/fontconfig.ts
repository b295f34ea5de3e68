import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const configs = new Map<string, string>();

/**
 * A fontconfig file that offers these fonts and nothing else, for the browser's FONTCONFIG_FILE.
 * Fonts found this way are loaded once by the browser and matched by family name, where an
 * @font-face with a data: URL is decoded again for every letter; and with no system fonts in the
 * set, a letter prints the same on a laptop as on Lambda. Written under the temp directory (the
 * only writable place on Lambda) in a folder named by what it holds, so that later processes on
 * the same machine reuse it and its font cache instead of leaving one folder each.
 */
export function fontconfigFile(files: string[]): string {
  const key = files.join('\0');
  const known = configs.get(key);
  if (known) return known;
  const root = join(tmpdir(), `letter-fonts-${createHash('sha256').update(key).update('\0').update(configText('')).digest('hex').slice(0, 16)}`);
  const config = join(root, 'fonts.conf');
  if (!existsSync(config)) {
    // Built aside and moved into place whole: processes starting together never see half a folder.
    const building = mkdtempSync(`${root}.building-`);
    mkdirSync(join(building, 'fonts'));
    for (const file of files) symlinkSync(file, join(building, 'fonts', basename(file)));
    writeFileSync(join(building, 'fonts.conf'), configText(root));
    try {
      renameSync(building, root);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another process got there first
    }
  }
  configs.set(key, config);
  return config;
}

function configText(root: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    `  <dir>${escapeXml(join(root, 'fonts'))}</dir>`,
    `  <cachedir>${escapeXml(join(root, 'cache'))}</cachedir>`,
    // Unhinted glyphs, as Chromium's --font-render-hinting=none asks. That flag reaches only a
    // renderer in the browser's own process (--single-process, as on Lambda); a separate renderer
    // process takes fontconfig's default (hinted, whole-pixel advances) and lays the same letter
    // out with other glyph positions, so the PDF's bytes would depend on the process model.
    '  <match target="pattern">',
    '    <edit name="hinting" mode="assign"><bool>false</bool></edit>',
    '    <edit name="hintstyle" mode="assign"><const>hintnone</const></edit>',
    '  </match>',
    '</fontconfig>',
    '',
  ].join('\n');
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
