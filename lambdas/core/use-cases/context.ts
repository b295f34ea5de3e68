import { actorRecord, SYSTEM } from '../actor';
import { ConflictError, NotFoundError } from '../errors';
import type { Actor, HistoryEntry, Letter } from '../letter';
import {
  type ArchiveStore,
  type Clock,
  ConditionNotMetError,
  type IdGenerator,
  type JobQueue,
  type LetterRepository,
  type LetterTemplate,
  type Mailer,
  type PdfRenderer,
  type PreviewSlots,
} from '../ports';
import { type Asking, check, guard, isArchived, type LetterAction, type WriteGuard } from '../transitions';

export { authorise } from '../transitions';

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

/** What DRAFT PDF previews add: the slot each person may have one preview in flight in. */
export interface PreviewContext extends ArchiveContext {
  previews: PreviewSlots;
}

/** What distribution adds. */
export interface DistributionContext extends LetterContext {
  archive: ArchiveStore;
  mailer: Mailer;
  mailFrom: string;
  /** A claim older than this was left by a worker that died mid-send. */
  staleClaimSeconds: number;
}

/** A history entry: who (subject id and name, or the service), in what role, did what, when. */
export function entry(ctx: { clock: Clock }, actor: Actor | 'system', action: string, detail?: string): HistoryEntry {
  const at = ctx.clock.now().toISOString();
  if (actor === 'system') return { at, by: SYSTEM, role: 'system', action, ...(detail ? { detail } : {}) };
  return { at, by: actorRecord(actor), role: actor.role, action, ...(detail ? { detail } : {}) };
}

/**
 * Reads a letter, as `reader` sees it when one is given: a reader asking for a letter that is not
 * archived gets the same 404 as for one that does not exist, so cannot learn that a draft exists.
 */
export async function loadLetter(ctx: Pick<LetterContext, 'letters'>, id: string, reader?: Actor): Promise<Letter> {
  const letter = await ctx.letters.get(id);
  if (!letter || (reader?.role === 'reader' && !isArchived(letter.status))) {
    throw new NotFoundError(`No letter has the id ${JSON.stringify(id)}.`);
  }
  return letter;
}

export function findingOf(letter: Letter, findingId: string) {
  const finding = letter.findings.find((f) => f.id === findingId);
  if (!finding) throw new NotFoundError(`The letter has no finding with the id ${JSON.stringify(findingId)}.`);
  return finding;
}

/** What the caller expected of the letter when it asked: the version it read, the finding it named; and who asked. */
export interface Expected extends Asking {
  version?: number;
  findingId?: string;
  /** Who acts, for the table's rules about people (four eyes). */
  actor?: Actor;
  /** Anything else the write's condition held, checked again on the letter as it now is. */
  holds?: (letter: Letter) => void;
}

/**
 * The one way a use case changes a letter: a conditional write held to the table of actions (the
 * statuses the action starts from, the status it moves to, the version read). When another
 * request got there first the write is refused whole, and the letter is read again to say why,
 * the way the client would have been told had it asked a moment later.
 */
export async function writeOrExplain(
  ctx: Pick<LetterContext, 'letters'>,
  id: string,
  action: LetterAction,
  expected: Expected,
  write: (guard: WriteGuard) => Promise<Letter>,
): Promise<Letter> {
  try {
    return await write(guard(action, expected.version, expected.actor));
  } catch (error) {
    if (!(error instanceof ConditionNotMetError)) throw error;
    const now = await loadLetter(ctx, id);
    check(now, action, expected.version, expected);
    if (expected.findingId) findingOf(now, expected.findingId);
    expected.holds?.(now);
    throw new ConflictError('The letter changed while this request was made; read it again and retry.');
  }
}

/**
 * The stages' way of changing a letter: the same guarded write, where a refusal means another
 * delivery of the same job got there first and its write stands. Returns whether this one landed.
 */
export async function writeIfFirst(action: LetterAction, write: (guard: WriteGuard) => Promise<Letter>): Promise<boolean> {
  try {
    await write(guard(action));
    return true;
  } catch (error) {
    if (error instanceof ConditionNotMetError) return false;
    throw error;
  }
}
