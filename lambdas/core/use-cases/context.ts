import { ConflictError, ForbiddenError, NotFoundError, PreconditionFailedError } from '../errors';
import type { Actor, HistoryEntry, Letter, LetterStatus } from '../letter';
import type { ArchiveStore, Clock, IdGenerator, JobQueue, LetterRepository, LetterTemplate, Mailer, PdfRenderer } from '../ports';
import { type Action, can } from '../roles';

/** What the drafting and review use cases need. */
export interface LetterContext {
  letters: LetterRepository;
  clock: Clock;
  ids: IdGenerator;
  jobs: JobQueue;
}

/** What rendering, previews and retrieval add. */
export interface ArchiveContext extends LetterContext {
  archive: ArchiveStore;
  template: LetterTemplate;
  renderer: PdfRenderer;
  presignExpiresSeconds: number;
}

/** What distribution adds. */
export interface DistributionContext extends LetterContext {
  archive: ArchiveStore;
  mailer: Mailer;
  mailFrom: string;
  /** A claim older than this was left by a worker that died mid-send. */
  staleClaimSeconds: number;
}

export function authorise(actor: Actor, action: Action): void {
  if (!can(actor.role, action)) throw new ForbiddenError(`The ${actor.role} role cannot ${action} letters.`);
}

export function entry(ctx: { clock: Clock }, actor: Actor | 'system', action: string, detail?: string): HistoryEntry {
  const at = ctx.clock.now().toISOString();
  if (actor === 'system') return { at, by: 'system', role: 'system', action, ...(detail ? { detail } : {}) };
  return { at, by: actor.name, role: actor.role, action, ...(detail ? { detail } : {}) };
}

export async function loadLetter(ctx: LetterContext, id: string): Promise<Letter> {
  const letter = await ctx.letters.get(id);
  if (!letter) throw new NotFoundError(`No letter has the id ${JSON.stringify(id)}.`);
  return letter;
}

export function requireStatus(letter: Letter, allowed: LetterStatus[], doing: string): void {
  if (!allowed.includes(letter.status)) {
    throw new ConflictError(`The letter is ${letter.status}; only a ${allowed.join(' or ')} letter can be ${doing}.`);
  }
}

export function requireVersion(letter: Letter, expected: number | undefined): void {
  if (expected !== undefined && letter.version !== expected) throw new PreconditionFailedError(letter.version);
}

/**
 * A conditional write was refused: read the letter again and say why, the way a client
 * would have been told had it asked a moment later.
 */
export async function explainRefusal(
  ctx: LetterContext,
  id: string,
  expect: { status: LetterStatus[]; doing: string; version?: number; findingId?: string },
): Promise<never> {
  const letter = await loadLetter(ctx, id);
  requireStatus(letter, expect.status, expect.doing);
  requireVersion(letter, expect.version);
  if (expect.findingId && !letter.findings.some((f) => f.id === expect.findingId)) {
    throw new NotFoundError(`The letter has no finding with the id ${JSON.stringify(expect.findingId)}.`);
  }
  throw new ConflictError('The letter changed while this request was made; read it again and retry.');
}
