import { NotFoundError, TooManyRequestsError } from '../errors';
import { type AccessEntry, type Actor, completeFacts, type HistoryEntry, type LetterStatus } from '../letter';
import type { ArchiveStore, Page, PageRequest, RateLimiter } from '../ports';
import { type ChainHead, type IntegrityReport, verifyChain } from '../record';
import { check, isArchived } from '../transitions';
import { access } from './read-letters';
import { type ArchiveContext, authorise, type LetterContext, loadLetter } from './context';

/** A letter's events, newest first, a page at a time: staff only. */
export async function letterHistory(ctx: LetterContext, actor: Actor, id: string, page: PageRequest): Promise<Page<HistoryEntry>> {
  authorise(actor, 'history');
  await loadLetter(ctx, id, actor);
  return ctx.letters.history(id, page);
}

/** Who retrieved a letter (PDF, HTML, a reader's read), newest first: managers only. */
export async function letterAccessLog(ctx: LetterContext, actor: Actor, id: string, page: PageRequest): Promise<Page<AccessEntry>> {
  authorise(actor, 'accessLog');
  await loadLetter(ctx, id, actor);
  return ctx.letters.accessLog(id, page);
}

/**
 * Recomputes a letter's chained record.
 * 1. Read every stored event, the head the letter keeps and its events not yet sealed.
 * 2. For an archived letter, read the head its manifest carries: the manifest is archived with
 *    the PDF (under Object Lock in AWS), so rewriting the table cannot move it.
 * 3. Check every link, hash and head; report the first event that does not hold. An archived
 *    letter whose manifest is missing, unreadable or without a head does not hold either: what
 *    cannot be compared is not reported as valid.
 */
export async function checkIntegrity(
  ctx: LetterContext & Pick<ArchiveContext, 'archive'>,
  actor: Actor,
  id: string,
): Promise<IntegrityReport & { problem: string | null }> {
  authorise(actor, 'integrity');
  const letter = await loadLetter(ctx, id, actor);
  const record = await ctx.letters.readRecord(id);
  if (!record) throw new NotFoundError(`No letter has the id ${JSON.stringify(id)}.`);
  const manifest = letter.pdf ? await manifestHead(ctx.archive, letter.pdf.manifestKey) : undefined;
  const report = verifyChain(record.stored, record.sealedHead, record.unsealed, manifest && 'head' in manifest ? [manifest.head] : []);
  return manifest && 'problem' in manifest ? { ...report, valid: false, problem: manifest.problem } : { ...report, problem: null };
}

/** The record's head as the archived manifest holds it, or why it cannot be read. */
async function manifestHead(archive: ArchiveStore, key: string): Promise<{ head: ChainHead } | { problem: string }> {
  const stored = await archive.find(key);
  if (!stored) return { problem: `The archived manifest ${key} is missing.` };
  try {
    const head = (JSON.parse(stored.toString('utf8')) as { record?: ChainHead }).record;
    if (head && Number.isInteger(head.seq) && typeof head.hash === 'string') return { head };
  } catch {
    // Not JSON: said below.
  }
  return { problem: `The archived manifest ${key} does not hold the record's head.` };
}

/**
 * The archived accessible HTML twin of the PDF, exactly as stored.
 * 1. Check the letter is archived (a reader finds no other letter at all).
 * 2. Record the retrieval in the access log, then read the HTML from the archive.
 */
export async function retrieveHtml(ctx: LetterContext & Pick<ArchiveContext, 'archive'>, actor: Actor, id: string, options: { record: boolean }): Promise<Buffer> {
  authorise(actor, 'retrieve');
  const letter = await loadLetter(ctx, id, actor);
  check(letter, 'retrieve');
  if (options.record) await ctx.letters.recordAccess(id, access(ctx, actor, 'html-retrieved'));
  return ctx.archive.get(letter.pdf!.htmlKey);
}

export interface VerifyContext {
  letters: LetterContext['letters'];
  rateLimiter: RateLimiter;
  verifyRateLimit: { requests: number; windowSeconds: number };
}

export interface Verification {
  letterId: string;
  council: string;
  letterDate: string;
  approvedBy: string;
  approvedAt: string;
  status: LetterStatus;
  supersededBy: string | null;
}

/**
 * Says which archived letter a PDF is, from its SHA-256: open to anyone holding a copy.
 * 1. Count the request against its client's window; past the limit, 429 with Retry-After.
 * 2. Find the letter archived with that hash; anything else (no such hash, not archived) is 404.
 */
export async function verifyPdf(ctx: VerifyContext, client: string, sha256: string): Promise<Verification> {
  const { requests, windowSeconds } = ctx.verifyRateLimit;
  const taken = await ctx.rateLimiter.take(`verify#${client}`, requests, windowSeconds);
  if (!taken.allowed) throw new TooManyRequestsError(`At most ${requests} checks a client in ${windowSeconds} seconds; try again later.`, taken.retryAfterSeconds);
  const notFound = new NotFoundError('No archived letter has a PDF with that SHA-256.');
  const letterId = await ctx.letters.findByPdf(sha256);
  const letter = letterId ? await ctx.letters.get(letterId) : undefined;
  if (!letter || !isArchived(letter.status) || letter.pdf?.sha256 !== sha256 || !letter.approval) throw notFound;
  return {
    letterId: letter.id,
    council: letter.facts.authority.name,
    letterDate: completeFacts(letter).letterDate,
    approvedBy: letter.approval.by.name,
    approvedAt: letter.approval.at,
    status: letter.status,
    supersededBy: letter.supersededBy?.id ?? null,
  };
}
