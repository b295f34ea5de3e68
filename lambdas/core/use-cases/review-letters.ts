import { type Actor, contentOf, type Letter } from '../letter';
import { canonicalJson, sha256 } from '../record';
import { check } from '../transitions';
import { authorise, entry, type LetterContext, loadLetter, writeIfFirst, writeOrExplain } from './context';
import { ConflictError } from '../errors';
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
  const updated = await writeOrExplain(ctx, id, 'return', { version: version ?? letter.version }, (guard) =>
    ctx.letters.transition(id, guard, { returnComment: comment, entry: returned, ...(letter.approval ? { approval: null } : {}) }),
  );
  // An approved correction sent back: the letter it would replace may be withdrawn again.
  if (letter.approval && letter.supersedes) await releaseReplacedLetter(ctx, actor, letter);
  return updated;
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
  const stored = await loadLetter(ctx, id);
  if (stored.status === 'approved' && stored.approval?.version === version && stored.approval.by.sub === actor.sub) {
    // The same manager asking again, say after a lost answer or a failed enqueue: queue the
    // render once more. The render stage does nothing for a letter already rendered.
    await ctx.jobs.enqueue('render', { letterId: id });
    return withRecipients(ctx, stored);
  }
  // The recipients are frozen as they are now: the council's entry, any override, the configured
  // DfE. The entry is read once, for them and for four eyes (who changed it since the letter was made).
  const council = await councilOfLetter(ctx, stored);
  const letter = await withRecipients(ctx, stored, council ?? null);
  const asking = { actor, council };
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
  if (letter.supersedes) await claimReplacedLetter(ctx, actor, letter, approved.at);
  let result: Letter;
  try {
    result = await writeOrExplain(ctx, id, 'approve', { version, ...asking }, (guard) =>
      ctx.letters.transition(id, guard, { approval, entry: approved }),
    );
  } catch (error) {
    // Unless someone else approved it meanwhile, the letter it replaces may be withdrawn again.
    if (letter.supersedes && !(await loadLetter(ctx, id)).approval) await releaseReplacedLetter(ctx, actor, letter).catch(() => undefined);
    throw error;
  }
  await ctx.jobs.enqueue('render', { letterId: id });
  return withRecipients(ctx, result);
}

/**
 * A correction about to be approved claims the letter it replaces, in a write held to that letter
 * being distributed with this correction open: from then on it cannot be withdrawn under the
 * correction, and a letter withdrawn first refuses the correction, which would go out in vain.
 */
async function claimReplacedLetter(ctx: LetterContext, actor: Actor, correction: Letter, at: string): Promise<void> {
  const replaced = correction.supersedes!.id;
  const claimed = await writeIfFirst('correct', (guard) =>
    ctx.letters.transition(replaced, { ...guard, correction: correction.id }, {
      entry: entry(ctx, actor, 'correction-approved', `correction ${correction.id} approved; it replaces this letter once sent`),
      correction: { id: correction.id, approvedAt: at },
    }),
  );
  if (!claimed) {
    throw new ConflictError(`The letter this corrects, ${replaced}, is no longer distributed (it was withdrawn), so this correction cannot be sent. Start a new letter instead.`);
  }
}

/** Undoes the claim when the correction goes back to its authors, or its approval did not land. */
export async function releaseReplacedLetter(ctx: LetterContext, actor: Actor, correction: Letter): Promise<void> {
  const replaced = correction.supersedes!.id;
  await writeIfFirst('correct', (guard) =>
    ctx.letters.transition(replaced, { ...guard, correction: correction.id }, {
      entry: entry(ctx, actor, 'correction-unapproved', `correction ${correction.id} is not approved any more`),
      correction: { id: correction.id },
    }),
  );
}
