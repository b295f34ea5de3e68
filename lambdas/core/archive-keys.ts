import type { Letter } from './letter';
import { councilSlug } from './letter-text';

/**
 * Where a letter lives in the archive: by council, then year of the letter, then letter id.
 * The one place S3 keys are made, so every stage and every reader agrees on them.
 */
export function archiveKeys(letter: Pick<Letter, 'id' | 'facts'>) {
  const base = `letters/${councilSlug(letter.facts.authority.name)}/${letter.facts.letterDate.slice(0, 4)}/${letter.id}`;
  return { pdf: `${base}/letter.pdf`, manifest: `${base}/manifest.json`, html: `${base}/letter.html` };
}
