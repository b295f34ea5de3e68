import type { Letter } from './letter';
import { councilSlug } from './letter-text';

/**
 * Where a letter lives in the archive: by council, then year of the letter, then letter id.
 * The one place S3 keys are made, so every stage and every reader agrees on them.
 */
export function archiveKeys(letter: Pick<Letter, 'id' | 'facts'>) {
  // Only a letter with all its facts, its date among them, is ever archived.
  const { authority, letterDate } = letter.facts;
  if (!letterDate) throw new Error(`Letter ${letter.id} has no date yet, so no place in the archive.`);
  const base = `letters/${councilSlug(authority.name)}/${letterDate.slice(0, 4)}/${letter.id}`;
  return { pdf: `${base}/letter.pdf`, manifest: `${base}/manifest.json`, html: `${base}/letter.html` };
}
