import { ValidationError } from '../errors';
import { type Actor, contentOf, type Letter, type LetterStatus } from '../letter';
import { ConditionNotMetError } from '../ports';
import { authorise, entry, explainRefusal, type LetterContext, loadLetter, requireStatus, requireVersion } from './context';

async function move(
  ctx: LetterContext,
  id: string,
  from: LetterStatus,
  doing: string,
  expectedVersion: number | undefined,
  write: () => Promise<Letter>,
): Promise<Letter> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConditionNotMetError) {
      return explainRefusal(ctx, id, { status: [from], doing, version: expectedVersion });
    }
    throw error;
  }
}

/**
 * Sends a draft for review.
 * 1. Check the role and that the letter is a draft with at least one finding.
 * 2. Move it to submitted, clearing any earlier return comment.
 */
export async function submitLetter(ctx: LetterContext, actor: Actor, id: string, expectedVersion?: number): Promise<Letter> {
  authorise(actor, 'submit');
  const letter = await loadLetter(ctx, id);
  requireStatus(letter, ['draft'], 'submitted');
  requireVersion(letter, expectedVersion);
  if (letter.findings.length === 0) {
    throw new ValidationError([{ field: 'findings', message: 'must have at least one finding before the letter is submitted' }]);
  }
  return move(ctx, id, 'draft', 'submitted', expectedVersion, () =>
    ctx.letters.transition(id, {
      from: ['draft'],
      to: 'submitted',
      expectedVersion,
      returnComment: null,
      entry: entry(ctx, actor, 'submitted'),
    }),
  );
}

/**
 * Returns a submitted letter to its authors with a comment.
 * 1. Check the role is a manager's and the letter is submitted.
 * 2. Move it back to draft, keeping the comment on the letter and in its history.
 */
export async function returnLetter(ctx: LetterContext, actor: Actor, id: string, comment: string, expectedVersion?: number): Promise<Letter> {
  authorise(actor, 'return');
  const letter = await loadLetter(ctx, id);
  requireStatus(letter, ['submitted'], 'returned');
  requireVersion(letter, expectedVersion);
  return move(ctx, id, 'submitted', 'returned', expectedVersion, () =>
    ctx.letters.transition(id, {
      from: ['submitted'],
      to: 'draft',
      expectedVersion,
      returnComment: comment,
      entry: entry(ctx, actor, 'returned', comment),
    }),
  );
}

/**
 * Approves the letter exactly as the manager read it.
 * 1. Check the role, that the letter is submitted and still at the version approved.
 * 2. Freeze a snapshot of its content in the same conditional write that approves it, so
 *    of managers approving at once exactly one succeeds.
 * 3. Queue the render of that snapshot. A repeat of the same approval by the same manager
 *    queues it again, so a client can retry safely.
 */
export async function approveLetter(ctx: LetterContext, actor: Actor, id: string, version: number): Promise<Letter> {
  authorise(actor, 'approve');
  const letter = await loadLetter(ctx, id);
  if (letter.status === 'approved' && letter.approval?.version === version && letter.approval.by === actor.id) {
    // The same manager asking again, say after a lost answer or a failed enqueue: queue the
    // render once more. The render stage does nothing for a letter already rendered.
    await ctx.jobs.enqueue('render', { letterId: id });
    return letter;
  }
  requireStatus(letter, ['submitted'], 'approved');
  requireVersion(letter, version);
  const approved = entry(ctx, actor, 'approved', `version ${version}`);
  const result = await move(ctx, id, 'submitted', 'approved', version, () =>
    ctx.letters.transition(id, {
      from: ['submitted'],
      to: 'approved',
      expectedVersion: version,
      approval: { by: actor.id, byName: actor.name, at: approved.at, version, snapshot: contentOf(letter) },
      entry: approved,
    }),
  );
  await ctx.jobs.enqueue('render', { letterId: id });
  return result;
}
