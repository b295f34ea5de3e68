import { actorRecord } from '../actor';
import { withdrawalNotice } from '../covering-email';
import type { Actor, Delivery, Letter, Withdrawal } from '../letter';
import { RECIPIENT_ROLES, type RecipientRole } from '../letter-schema';
import { check } from '../transitions';
import { authorise, type DistributionContext, entry, type LetterContext, loadLetter, writeOrExplain } from './context';
import { claimPending, type DistributionResult, RetryLaterError, sendAndRecord, settleAbandoned } from './send-copies';

/**
 * Withdraws a letter sent in error.
 * 1. Check the role is a manager's, the letter is distributed and no correction of it was approved
 *    (held in the write's condition too: a correction approved meanwhile goes out in its place).
 * 2. In one conditional write, mark it withdrawn with the reason and one pending notice per
 *    recipient, to the address its copy went to. The archive stays as it was.
 * 3. Queue the job that sends the notices, each exactly once, like the letter.
 */
export async function withdrawLetter(ctx: LetterContext, actor: Actor, id: string, reason: string): Promise<Letter> {
  authorise(actor, 'withdraw');
  const letter = await loadLetter(ctx, id);
  check(letter, 'withdraw');
  const withdrawn = entry(ctx, actor, 'withdrawn', reason);
  const withdrawal: Withdrawal = { reason, by: actorRecord(actor), at: withdrawn.at };
  const notices = Object.fromEntries(
    RECIPIENT_ROLES.map((role): [RecipientRole, Delivery] => [
      role,
      { role, email: letter.deliveries?.[role]?.email ?? letter.approval!.snapshot.recipients[role].email, state: 'pending', attempts: 0, updatedAt: withdrawn.at },
    ]),
  );
  const updated = await writeOrExplain(ctx, id, 'withdraw', { actor }, (guard) => ctx.letters.transition(id, guard, { withdrawal, notices, entry: withdrawn }));
  await ctx.jobs.enqueue('distribute', { letterId: id });
  return updated;
}

/**
 * Sends a withdrawn letter's notices: claim the pending ones (of workers holding the same job, one
 * wins each), send one message per recipient, and record the outcomes as they come (those that come
 * together in one write). A redelivered job finds nothing to claim.
 */
export async function sendWithdrawalNotices(ctx: DistributionContext, letter: Letter, options: { finalAttempt: boolean }): Promise<DistributionResult> {
  const result: DistributionResult = { sent: [], failed: [], waiting: [] };
  if (!letter.withdrawal || !letter.approval) return result;
  const pending = RECIPIENT_ROLES.filter((r) => letter.notices?.[r]?.state === 'pending');
  const claimed = await claimPending(ctx, letter.id, pending, ctx.clock.now().toISOString(), 'notice');
  for (const { role, outcome } of await settleAbandoned(ctx, letter, 'notice', options)) result[outcome].push(role);
  const notices = claimed.map((claim) => {
    const note = withdrawalNotice(letter.approval!.snapshot, claim.role, letter.withdrawal!);
    const to = letter.notices![claim.role]!.email;
    return { claim, email: { to, ...note, headers: { 'X-Letter-Id': letter.id, 'X-Letter-Recipient': claim.role } } };
  });
  for (const { role, outcome } of await sendAndRecord(ctx, notices, options.finalAttempt, () => undefined)) result[outcome].push(role);
  if (result.waiting.length) throw new RetryLaterError(`notices to try again: ${result.waiting.join(', ')}`);
  return result;
}
