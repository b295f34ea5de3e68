import { actorRecord } from '../actor';
import { ConflictError, ValidationError } from '../errors';
import { type Actor, type AddressFix, type Letter, newDraft } from '../letter';
import type { RecipientRole } from '../letter-schema';
import { check, FIXABLE_STATES } from '../transitions';
import { authorise, entry, type LetterContext, loadLetter, writeIfFirst, writeOrExplain } from './context';

/**
 * Starts the correction of a distributed letter: one at a time.
 * 1. Check the role, that the letter is distributed and that no correction of it is open.
 * 2. Record on the letter that this correction was started, in a write held to its status and to
 *    its having no correction open, so of two requests at once only one starts one.
 * 3. Create a draft with the letter's content as approved and `supersedes` naming it. The draft
 *    goes through the same review; once it is distributed the letter it corrects is superseded.
 *    Should the draft not be stored, the letter is released again, so it can still be corrected.
 */
export async function correctLetter(ctx: LetterContext, actor: Actor, id: string): Promise<Letter> {
  authorise(actor, 'correct');
  const original = await loadLetter(ctx, id);
  check(original, 'correct');
  const { findings, replaces: _replaces, ...facts } = original.approval!.snapshot;
  const correctionId = ctx.ids.next();
  await writeOrExplain(ctx, id, 'correct', { actor }, (guard) =>
    ctx.letters.transition(id, guard, { entry: entry(ctx, actor, 'corrected', `correction ${correctionId} drafted`), correction: { id: correctionId } }),
  );
  const created = entry(ctx, actor, 'created', `correction of ${id}`);
  const letter = newDraft({
    id: correctionId,
    actor,
    created,
    facts,
    findings,
    findingId: () => ctx.ids.next(),
    supersedes: { id, letterDate: facts.letterDate },
  });
  try {
    await ctx.letters.create(letter);
  } catch (error) {
    const released = entry(ctx, actor, 'correction-abandoned', `correction ${correctionId} could not be stored`);
    await writeIfFirst('correct', (guard) =>
      ctx.letters.transition(id, { ...guard, correction: correctionId }, { entry: released, correction: null }),
    ).catch(() => false);
    throw error;
  }
  return letter;
}

/**
 * Gives a copy that bounced, drew a complaint or failed a new address, with the reason.
 * 1. Check the role, the letter's state, and that the recipient is the director or chief
 *    executive (the Department for Education's address is configuration, never changed here).
 * 2. Record the new address beside the copy, on condition the copy is still in the state read.
 *    The approval snapshot stays as approved; `redistribute`, by another manager, sends to it.
 */
export async function fixDeliveryAddress(
  ctx: LetterContext,
  actor: Actor,
  id: string,
  role: RecipientRole,
  change: { email: string; reason: string },
): Promise<Letter> {
  authorise(actor, 'fixAddress');
  if (role === 'dfe') {
    throw new ValidationError([{ field: 'role', message: "is the Department for Education, whose address comes from configuration and is never changed here" }]);
  }
  const letter = await loadLetter(ctx, id);
  check(letter, 'fixAddress');
  const fixable = (now: Letter) => {
    const state = now.deliveries?.[role]?.state;
    if (!state || !FIXABLE_STATES.includes(state)) {
      throw new ConflictError(`The ${role} copy is ${state ?? 'not yet sent'}; only a bounced, complained or failed copy can be given a new address.`);
    }
  };
  fixable(letter);
  const delivery = letter.deliveries![role]!;
  if (change.email.toLowerCase() === delivery.email.toLowerCase()) {
    throw new ValidationError([{ field: 'email', message: `is the address the copy already went to; give the new one` }]);
  }
  const fixed = entry(ctx, actor, 'address-fixed', `${role}: ${delivery.email} → ${change.email}: ${change.reason}`);
  const fix: AddressFix = { from: delivery.email, email: change.email, reason: change.reason, by: actorRecord(actor), at: fixed.at };
  return writeOrExplain(ctx, id, 'fixAddress', { holds: fixable }, (guard) => ctx.letters.fixAddress(id, guard, role, delivery.state, fix, fixed));
}
