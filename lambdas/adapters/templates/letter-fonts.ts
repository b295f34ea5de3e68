import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

/** The letter's typeface as @expo-google-fonts/arimo ships it: Arimo regular and bold, whole TrueType files. */
const PACKAGE = '@expo-google-fonts/arimo';
export const ARIMO_FILES = ['400Regular/Arimo_400Regular.ttf', '700Bold/Arimo_700Bold.ttf'] as const;

/**
 * Fonts for the scripts a letter may hold and Arimo lacks: Arabic, Hebrew, Thai and emoji. Text
 * with no font at all prints as empty boxes, and is slow: Chromium searches every font again for
 * each run of it (emoji above all: 15 findings of emoji took 2.2 s against 0.6 s with Noto Emoji
 * offered). Found by fontconfig beside Arimo, they are used only for the characters Arimo lacks.
 */
export const FALLBACK_FILES = [
  '@expo-google-fonts/noto-sans-arabic/400Regular/NotoSansArabic_400Regular.ttf',
  '@expo-google-fonts/noto-sans-hebrew/400Regular/NotoSansHebrew_400Regular.ttf',
  '@expo-google-fonts/noto-sans-thai/400Regular/NotoSansThai_400Regular.ttf',
  '@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf',
] as const;

export interface LetterFonts {
  /** The font files, absolute paths, in a stable order. */
  files: string[];
  /** Changes whenever a file's bytes do: part of the template's version, since the PDF depends on them. */
  version: string;
}

const cache = new Map<string, LetterFonts>();

/**
 * The fonts a letter is printed in. `dir` (FONTS_DIR) is a directory holding exactly those
 * TrueType files, as a Lambda bundle ships them; unset, they are read from the npm package.
 */
export function letterFonts(dir?: string): LetterFonts {
  const key = dir ?? '';
  const known = cache.get(key);
  if (known) return known;
  const files = dir
    ? readdirSync(dir)
        .filter((name) => /\.(ttf|otf)$/i.test(name))
        .sort()
        .map((name) => join(dir, name))
    : [...ARIMO_FILES.map((file) => join(packageDir(), file)), ...FALLBACK_FILES.map((file) => join(nodeModulesDir(), file))];
  if (files.length === 0) throw new Error(`no .ttf or .otf font files in ${dir}`);
  const hash = createHash('sha256');
  // By file name, so the package's files and a bundle's copies of them give the same version.
  const byName = [...files].sort((a, b) => basename(a).localeCompare(basename(b)));
  for (const file of byName) hash.update(basename(file)).update('\0').update(readFileSync(file)).update('\0');
  const fonts = { files, version: `fonts-${hash.digest('hex').slice(0, 12)}` };
  cache.set(key, fonts);
  return fonts;
}

function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
}

/** The node_modules folder the letter's font packages are installed in. */
function nodeModulesDir(): string {
  return dirname(dirname(packageDir()));
}

/** The package's files as a Lambda bundle copies them: source beside the project root, and the name it keeps. */
export function bundledFontFiles(): { from: string; to: string }[] {
  return [
    ...ARIMO_FILES.map((file) => ({ from: `node_modules/${PACKAGE}/${file}`, to: basename(file) })),
    ...FALLBACK_FILES.map((file) => ({ from: `node_modules/${file}`, to: basename(file) })),
  ];
}
