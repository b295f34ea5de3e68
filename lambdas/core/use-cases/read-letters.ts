import { letterFileName } from '../covering-email';
import { ForbiddenError } from '../errors';
import { type Actor, LETTER_STATUSES, type Letter, type LetterStatus } from '../letter';
import type { LetterPage } from '../ports';
import { check, isArchived, isCurrent, RENDERED_OR_LATER } from '../transitions';
import { type ArchiveContext, authorise, entry, type LetterContext, loadLetter } from './context';

/**
 * Reads one letter.
 * 1. Check the role may read it: a reader finds archived letters only, and nothing else exists for them.
 * 2. Record the read in the history when the letter is archived.
 */
export async function getLetter(ctx: LetterContext, actor: Actor, id: string): Promise<Letter> {
  authorise(actor, 'read');
  const letter = await loadLetter(ctx, id, actor);
  if (isArchived(letter.status)) {
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
  /** Only letters with a copy that bounced, drew a complaint or failed. */
  deliveryProblem?: boolean;
  cursor?: string;
  limit: number;
}

/**
 * Lists letters newest first. Readers are shown the archive only; everyone is shown current
 * letters unless the search names a status, so superseded and withdrawn ones appear on request.
 */
export async function listLetters(ctx: LetterContext, actor: Actor, search: LetterSearch): Promise<LetterPage> {
  authorise(actor, 'read');
  const reader = actor.role === 'reader';
  if (reader && search.status && !isArchived(search.status)) {
    throw new ForbiddenError('The reader role can search archived letters only.');
  }
  const visible = (reader ? RENDERED_OR_LATER : LETTER_STATUSES).filter(isCurrent);
  return ctx.letters.list({ ...search, statusIn: search.status ? undefined : [...visible] });
}

/**
 * Hands out a short-lived link to the archived PDF.
 * 1. Check the letter has been rendered (a reader finds no other letter at all).
 * 2. Record the retrieval in the history, then sign the link.
 */
export async function retrievePdf(
  ctx: LetterContext & Pick<ArchiveContext, 'archive' | 'presignExpiresSeconds'>,
  actor: Actor,
  id: string,
): Promise<string> {
  authorise(actor, 'retrieve');
  const letter = await loadLetter(ctx, id, actor);
  check(letter, 'retrieve');
  const pdf = letter.pdf!;
  await ctx.letters.appendAudit(id, entry(ctx, actor, 'pdf-retrieved', pdf.key));
  return ctx.archive.presignedGetUrl(pdf.key, ctx.presignExpiresSeconds, letterFileName(letter.facts));
}
