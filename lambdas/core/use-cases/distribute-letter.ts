import { createHash } from 'node:crypto';
import { coveringEmail } from '../covering-email';
import { type Actor, type DeliveryState, type Letter } from '../letter';
import { RECIPIENT_ROLES, type RecipientRole } from '../letter-schema';
import type { Resend } from '../ports';
import { allowedFrom, check, guard, rolesToResend } from '../transitions';
import { authorise, type DistributionContext, entry, type LetterContext, loadLetter, writeIfFirst, writeOrExplain } from './context';
import { claimPending, type DistributionResult, type Outcome, RetryLaterError, recordOutcome, type Sent, sendAndRecord, settleAbandoned } from './send-copies';
import { sendWithdrawalNotices } from './withdraw-letter';

export { type DistributionResult, RetryLaterError } from './send-copies';

const DONE = new Set(['sent', 'delivered']);
const everyoneSent = (l: Letter) => allowedFrom('distribute', l.status) && RECIPIENT_ROLES.every((r) => DONE.has(l.deliveries?.[r]?.state ?? ''));

/**
 * Sends the archived letter to each statutory recipient, each exactly once.
 * 1. Claim every recipient still pending with a conditional write: of any number of workers
 *    holding the same job, one wins each recipient.
 * 2. A claim left by a worker that died between sending and recording is not sent again: the
 *    mail service's events, which carry the copy's tags, say what became of it. After
 *    `staleClaimSeconds`, or on the job's last attempt, it is marked failed, outcome unknown.
 * 3. Send the archived bytes (checked against their SHA-256) with one message per recipient,
 *    to the address the copy has now (the approved one, or a manager's fix), tagged with the copy.
 * 4. Record each message id, or the failure, as it comes (those that come together in one write):
 *    permanent failures mark the recipient failed; throttling and outages release it to pending
 *    and the job is retried later.
 * 5. Once every recipient is sent, the letter is distributed, by the same write that records the
 *    last copies when it can; a correction then supersedes the letter it replaces.
 * A withdrawn letter's job sends the withdrawal notices instead.
 */
export async function distributeLetter(ctx: DistributionContext, letterId: string, options: { finalAttempt: boolean }): Promise<DistributionResult> {
  const letter = await loadLetter(ctx, letterId);
  if (allowedFrom('notify', letter.status)) return sendWithdrawalNotices(ctx, letter, options);
  const result: DistributionResult = { sent: [], failed: [], waiting: [] };
  // Copies go out while the letter is rendered, and again after a redistribution: the statuses redistribution starts from.
  if (!allowedFrom('redistribute', letter.status) || !letter.pdf || !letter.approval) return result;
  // Every write returns the letter as it then stood; the last write to land sees every recipient.
  const seen: Letter[] = [letter];
  const settle = (role: RecipientRole, outcome: Outcome, after?: Letter) => {
    result[outcome].push(role);
    if (after) seen.push(after);
  };

  const pending = RECIPIENT_ROLES.filter((r) => letter.deliveries?.[r]?.state === 'pending');
  const claimed = await claimPending(ctx, letterId, pending, ctx.clock.now().toISOString(), 'letter');
  for (const { role, outcome, after } of await settleAbandoned(ctx, letter, 'letter', options)) settle(role, outcome, after);

  if (claimed.length) {
    const pdf = await ctx.archive.get(letter.pdf.key);
    if (createHash('sha256').update(pdf).digest('hex') !== letter.pdf.sha256) {
      // Never send bytes other than the ones archived. The object may yet be restored (the bucket
      // keeps versions): release the claims and retry, and on the last attempt fail them visibly.
      const lastError = 'The archived PDF does not match its recorded SHA-256; nothing was sent.';
      for (const claim of claimed) {
        const after = await recordOutcome(ctx, claim, { state: options.finalAttempt ? 'failed' : 'pending', lastError });
        settle(claim.role, options.finalAttempt ? 'failed' : 'waiting', after);
      }
    } else {
      const snapshot = letter.approval.snapshot;
      const copies = claimed.map((claim) => {
        const note = coveringEmail(snapshot, claim.role, letter.pdf!);
        const email = {
          to: letter.deliveries![claim.role]!.email,
          subject: note.subject,
          text: note.text,
          html: note.html,
          attachment: { filename: note.filename, contentType: 'application/pdf', content: pdf },
          headers: { 'X-Letter-Id': letter.id, 'X-Letter-Recipient': claim.role, 'X-Letter-Sha256': letter.pdf!.sha256 },
        };
        return { claim, email };
      });
      // The write that records the last copies sent also moves the letter to distributed, on
      // condition the copies not sent here are still sent or delivered.
      const others = RECIPIENT_ROLES.filter((role) => !claimed.some((claim) => claim.role === role));
      const finish = (sends: Sent[]) =>
        allowedFrom('distribute', letter.status) &&
        sends.every((s) => s.outcome === 'sent') &&
        others.every((role) => DONE.has(letter.deliveries?.[role]?.state ?? ''))
          ? { guard: guard('distribute'), entry: entry(ctx, 'system', 'distributed'), others: others.map((role) => ({ role, states: [...DONE] as DeliveryState[] })) }
          : undefined;
      for (const { role, outcome, after } of await sendAndRecord(ctx, copies, options.finalAttempt, finish)) settle(role, outcome, after);
    }
  }

  const done = seen.find(everyoneSent) ?? seen.find((l) => l.status === 'distributed');
  if (done) await finishDistribution(ctx, done);
  if (result.waiting.length) throw new RetryLaterError(`recipients to try again: ${result.waiting.join(', ')}`);
  return result;
}

/**
 * Once every copy is sent (by the stage, or found delivered by an event after the worker that
 * sent it died), the letter is distributed; of writers landing together, one records it. A
 * distributed correction then supersedes the letter it replaces, with a link to it.
 */
export async function finishDistribution(ctx: Pick<DistributionContext, 'letters' | 'clock'>, letter: Letter): Promise<void> {
  if (!everyoneSent(letter) && letter.status !== 'distributed') return;
  if (letter.status !== 'distributed') {
    await writeIfFirst('distribute', (guard) => ctx.letters.transition(letter.id, guard, { entry: entry(ctx, 'system', 'distributed') }));
  }
  if (letter.supersedes) {
    const superseded = entry(ctx, 'system', 'superseded', `by ${letter.id}`);
    await writeIfFirst('supersede', (guard) =>
      ctx.letters.transition(letter.supersedes!.id, guard, { supersededBy: { id: letter.id }, entry: superseded }),
    );
  }
}

/**
 * Sends again the copies that did not arrive: failed ones, and bounced or complained ones whose
 * address a manager has fixed since.
 * 1. Check the role is a manager's, some copy is to be sent again, and (four eyes) this manager
 *    did not fix the address of any of them.
 * 2. Put those copies back to pending at their new address in one conditional write (each still
 *    as read), then queue distribution, which sends them and nothing else.
 */
export async function redistributeLetter(ctx: LetterContext, actor: Actor, id: string): Promise<Letter> {
  authorise(actor, 'redistribute');
  const letter = await loadLetter(ctx, id);
  check(letter, 'redistribute', undefined, { actor });
  const resends: Resend[] = rolesToResend(letter).map((role) => {
    const delivery = letter.deliveries![role]!;
    return { role, state: delivery.state, email: delivery.addressFix?.email ?? delivery.email, fixedAt: delivery.addressFix?.at };
  });
  const requeued = entry(ctx, actor, 'redistributed', resends.map((r) => `${r.role} to ${r.email}`).join(', '));
  const updated = await writeOrExplain(ctx, id, 'redistribute', { actor }, (guard) => ctx.letters.requeueDeliveries(id, guard, resends, requeued));
  await ctx.jobs.enqueue('distribute', { letterId: id });
  return updated;
}
