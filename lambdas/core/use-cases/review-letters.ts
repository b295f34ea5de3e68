import { type Actor, contentOf, type Letter } from '../letter';
import { canonicalJson, sha256 } from '../record';
import { check } from '../transitions';
import { authorise, entry, type LetterContext, loadLetter, writeOrExplain } from './context';
import { actorRecord } from '../actor';
import { councilOfLetter, type RecipientsContext, withRecipients } from './letter-recipients';

/**
 * Sends a draft for review.
 * 1. Check the role, that the letter is a draft with at least one finding, at the version read.
 * 2. Move it to submitted, clearing any earlier return comment.
 */
export async function submitLetter(ctx: LetterContext, actor: Actor, id: string, version?: number): Promise<Letter> {
  authorise(actor, 'submit');
  check(await loadLetter(ctx, id), 'submit', version, { actor });
  const submitted = entry(ctx, actor, 'submitted');
  return writeOrExplain(ctx, id, 'submit', { version, actor }, (guard) =>
    ctx.letters.transition(id, guard, { returnComment: null, entry: submitted }),
  );
}

/**
 * Returns a submitted letter to its authors with a comment.
 * 1. Check the role is a manager's and the letter is submitted.
 * 2. Move it back to draft, keeping the comment on the letter and in its history.
 */
export async function returnLetter(ctx: LetterContext, actor: Actor, id: string, comment: string, version?: number): Promise<Letter> {
  authorise(actor, 'return');
  const letter = await loadLetter(ctx, id);
  check(letter, 'return', version);
  const returned = entry(ctx, actor, 'returned', comment);
  // Held to the version read, so that a letter approved meanwhile is not returned from under its render.
  return writeOrExplain(ctx, id, 'return', { version: version ?? letter.version }, (guard) =>
    ctx.letters.transition(id, guard, { returnComment: comment, entry: returned, ...(letter.approval ? { approval: null } : {}) }),
  );
}

/**
 * Approves the letter exactly as the manager read it.
 * 1. Check the role, that the letter is submitted and still at the version approved, and four
 *    eyes: the manager created none of it, changed none of it, did not submit it, and did not
 *    change its council's directory entry since it was created (403 saying which).
 * 2. Freeze a snapshot of its content, its recipients as the directory, any override and the
 *    configuration now give them, in the same conditional write that approves it (held to four
 *    eyes too), so of managers approving at once exactly one succeeds.
 * 3. Queue the render of that snapshot. A repeat of the same approval by the same manager
 *    queues it again, so a client can retry safely.
 */
export async function approveLetter(ctx: LetterContext & RecipientsContext, actor: Actor, id: string, version: number): Promise<Letter> {
  authorise(actor, 'approve');
  // The recipients are frozen as they are now: the council's entry, any override, the configured DfE.
  const letter = await withRecipients(ctx, await loadLetter(ctx, id));
  if (letter.status === 'approved' && letter.approval?.version === version && letter.approval.by.sub === actor.sub) {
    // The same manager asking again, say after a lost answer or a failed enqueue: queue the
    // render once more. The render stage does nothing for a letter already rendered.
    await ctx.jobs.enqueue('render', { letterId: id });
    return letter;
  }
  const asking = { actor, council: await councilOfLetter(ctx, letter) };
  check(letter, 'approve', version, asking);
  const snapshot = contentOf(letter);
  // The approval event vouches for exactly this snapshot: what is rendered and archived.
  const approved = { ...entry(ctx, actor, 'approved', `version ${version}`), covers: { snapshotSha256: sha256(canonicalJson(snapshot)) } };
  const approval = {
    by: actorRecord(actor),
    at: approved.at,
    version,
    snapshot,
    ...(letter.council ? { council: { code: letter.council.code, version: letter.council.version } } : {}),
    addressDifferences: letter.addressDifferences ?? [],
  };
  const result = await writeOrExplain(ctx, id, 'approve', { version, ...asking }, (guard) =>
    ctx.letters.transition(id, guard, { approval, entry: approved }),
  );
  await ctx.jobs.enqueue('render', { letterId: id });
  return withRecipients(ctx, result);
}
