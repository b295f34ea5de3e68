import { actorRecord } from '../actor';
import { letterFileName } from '../covering-email';
import { ForbiddenError } from '../errors';
import { type AccessEntry, type Actor, completeFacts, LETTER_STATUSES, type Letter, type LetterStatus } from '../letter';
import type { LetterPage } from '../ports';
import { check, isArchived, isCurrent, RENDERED_OR_LATER } from '../transitions';
import { type ArchiveContext, authorise, type LetterContext, loadLetter } from './context';
import { type RecipientsContext, withRecipients } from './letter-recipients';

/** A retrieval for the access log: who, when, what. */
export function access(ctx: Pick<LetterContext, 'clock'>, actor: Actor, action: AccessEntry['action']): AccessEntry {
  return { at: ctx.clock.now().toISOString(), by: actorRecord(actor), role: actor.role, action };
}

/**
 * Reads one letter with its latest events: one read, the same size however often it is read.
 * 1. Check the role may read it: a reader finds archived letters only, and nothing else exists for them.
 * 2. A reader's read goes to the access log (not a HEAD, which retrieves nothing); staff reads are not recorded.
 * 3. A reader is given the archive's part only: see `asTheArchiveHoldsIt`.
 */
export async function getLetter(
  ctx: LetterContext & RecipientsContext,
  actor: Actor,
  id: string,
  options: { record: boolean } = { record: true },
): Promise<Letter> {
  authorise(actor, 'read');
  const letter = await loadLetter(ctx, id, actor);
  if (actor.role === 'reader' && options.record) await ctx.letters.recordAccess(id, access(ctx, actor, 'read'));
  if (actor.role === 'reader') return asTheArchiveHoldsIt(letter);
  return withRecipients(ctx, letter);
}

/**
 * Of the versions of a letter a staff member holds (a poll's If-None-Match), the one that is still
 * the letter as it is, found by one small read: a page or script polling a letter through rendering
 * and sending pays little for each poll that finds nothing new. Only an approved letter's version
 * says all a read shows: before approval, its recipients come from the council directory as it is
 * now. A reader's read goes to the access log, so a reader is always given the letter.
 */
export async function unchangedVersion(ctx: Pick<LetterContext, 'letters'>, actor: Actor, id: string, versions: number[]): Promise<number | undefined> {
  authorise(actor, 'read');
  if (actor.role === 'reader' || versions.length === 0) return undefined;
  const current = await ctx.letters.versionOf(id);
  return current?.approved && versions.includes(current.version) ? current.version : undefined;
}

/**
 * What a reader sees of an archived letter: its content as approved, the approval (who, when), the
 * PDF and the deliveries. Not how it came to be (edits, return comments, address overrides, who
 * wrote it) nor who else has read it.
 */
export function asTheArchiveHoldsIt(letter: Letter): Letter {
  const { findings, ...facts } = letter.approval!.snapshot;
  const { returnComment: _comment, recipientOverride: _override, addressDifferences: _differences, council: _council, ...rest } = letter;
  return { ...rest, facts, findings, history: [], contributors: [] };
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
 * 2. Record the retrieval in the access log, then sign the link.
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
  await ctx.letters.recordAccess(id, access(ctx, actor, 'pdf-retrieved'));
  return ctx.archive.presignedGetUrl(pdf.key, ctx.presignExpiresSeconds, letterFileName(completeFacts(letter)));
}
