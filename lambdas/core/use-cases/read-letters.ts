import { letterFileName } from '../covering-email';
import { ConflictError, ForbiddenError } from '../errors';
import { type Actor, isApprovedOrLater, type Letter, type LetterStatus } from '../letter';
import type { LetterPage } from '../ports';
import { type ArchiveContext, authorise, entry, type LetterContext, loadLetter } from './context';

const ARCHIVED: LetterStatus[] = ['approved', 'rendered', 'distributed'];

/**
 * Reads one letter.
 * 1. Check the role may read it: readers see approved letters only.
 * 2. Record the read in the history when the letter is part of the archive.
 */
export async function getLetter(ctx: LetterContext, actor: Actor, id: string): Promise<Letter> {
  authorise(actor, 'read');
  const letter = await loadLetter(ctx, id);
  if (actor.role === 'reader' && !isApprovedOrLater(letter)) {
    throw new ForbiddenError('The reader role can read approved letters only.');
  }
  if (isApprovedOrLater(letter)) {
    const read = entry(ctx, actor, 'read');
    await ctx.letters.appendAudit(id, read);
    letter.history.push(read);
  }
  return letter;
}

export interface LetterSearch {
  authority?: string;
  status?: LetterStatus;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

/** Lists letters newest first; readers are shown the archive only. */
export async function listLetters(ctx: LetterContext, actor: Actor, search: LetterSearch): Promise<LetterPage> {
  authorise(actor, 'read');
  if (actor.role === 'reader' && search.status && !ARCHIVED.includes(search.status)) {
    throw new ForbiddenError('The reader role can search approved letters only.');
  }
  return ctx.letters.list({ ...search, statusIn: actor.role === 'reader' && !search.status ? ARCHIVED : undefined });
}

/**
 * Hands out a short-lived link to the archived PDF.
 * 1. Check the letter has been rendered.
 * 2. Record the retrieval in the history, then sign the link.
 */
export async function retrievePdf(
  ctx: LetterContext & Pick<ArchiveContext, 'archive' | 'presignExpiresSeconds'>,
  actor: Actor,
  id: string,
): Promise<string> {
  authorise(actor, 'retrieve');
  const letter = await loadLetter(ctx, id);
  if (!letter.pdf) throw new ConflictError(`The letter is ${letter.status}; it has no PDF until it is rendered.`);
  await ctx.letters.appendAudit(id, entry(ctx, actor, 'pdf-retrieved', letter.pdf.key));
  return ctx.archive.presignedGetUrl(letter.pdf.key, ctx.presignExpiresSeconds, letterFileName(letter.facts));
}
