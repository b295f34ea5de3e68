import { createHash, randomUUID } from 'node:crypto';
import { coveringEmail } from '../covering-email';
import { ConflictError } from '../errors';
import type { Actor, Delivery, Letter } from '../letter';
import { RECIPIENT_ROLES, type RecipientRole } from '../letter-schema';
import { ConditionNotMetError, RetryableSendError } from '../ports';
import { authorise, type DistributionContext, entry, type LetterContext, loadLetter } from './context';

/** Thrown when some recipient should be tried again later; the queue redelivers the job. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export interface DistributionResult {
  sent: RecipientRole[];
  failed: RecipientRole[];
  waiting: RecipientRole[];
}

const DONE = new Set(['sent', 'delivered']);

/**
 * Sends the archived letter to each statutory recipient, each exactly once.
 * 1. For each recipient still pending, claim the send with a conditional write: of any number of
 *    workers holding the same job, one wins each recipient.
 * 2. Send the archived bytes (checked against their SHA-256) with one message per recipient.
 * 3. Record the message id, or the failure: permanent ones mark the recipient failed; throttling
 *    and outages release it to pending and the job is retried later.
 * 4. A claim left by a worker that died between sending and recording is not sent again: after
 *    `staleClaimSeconds`, or on the job's last attempt, it is marked failed with "outcome unknown",
 *    for a person to check and redistribute. That is the one window where a message may have gone
 *    without being recorded.
 * 5. Once every recipient is sent, the letter is distributed.
 */
export async function distributeLetter(
  ctx: DistributionContext,
  letterId: string,
  options: { finalAttempt: boolean },
): Promise<DistributionResult> {
  const letter = await loadLetter(ctx, letterId);
  const result: DistributionResult = { sent: [], failed: [], waiting: [] };
  // Every write returns the letter as it then stood; the last write to land sees every recipient.
  const seen: Letter[] = [letter];
  const record = async (...args: Parameters<typeof recordOutcome>) => {
    seen.push(await recordOutcome(...args));
  };
  if ((letter.status !== 'rendered' && letter.status !== 'distributed') || !letter.pdf || !letter.approval) return result;

  const now = ctx.clock.now();
  const pending = RECIPIENT_ROLES.filter((r) => letter.deliveries?.[r]?.state === 'pending');
  const claimed = await claimPending(ctx, letterId, pending, now.toISOString());
  for (const role of RECIPIENT_ROLES) {
    const delivery = letter.deliveries?.[role];
    if (delivery?.state === 'sending') {
      const age = (now.getTime() - Date.parse(delivery.updatedAt)) / 1000;
      // On the last receive nothing will look at this recipient again: give it up as failed
      // now rather than leave it sending for ever behind a dead-lettered job.
      if ((age >= ctx.staleClaimSeconds || options.finalAttempt) && delivery.claim) {
        await record(ctx, letterId, role, delivery.claim, {
          state: 'failed',
          lastError: 'Outcome unknown: the worker stopped between sending and recording. Check whether the recipient received it before redistributing.',
        });
        result.failed.push(role);
      } else {
        result.waiting.push(role);
      }
    }
  }

  if (claimed.length) {
    const pdf = await ctx.archive.get(letter.pdf.key);
    const digest = createHash('sha256').update(pdf).digest('hex');
    if (digest !== letter.pdf.sha256) {
      // Never send bytes other than the ones archived: release the claims and let the job retry.
      for (const { role, claim } of claimed) await record(ctx, letterId, role, claim, { state: 'pending', lastError: 'Archived PDF did not match its SHA-256' });
      throw new RetryLaterError(`archived PDF for ${letterId} does not match its recorded SHA-256`);
    }
    await Promise.all(claimed.map(({ role, claim }) => sendOne(ctx, letter, role, claim, pdf, options.finalAttempt, result, record)));
  }

  const allDone = (l: Letter) => l.status === 'rendered' && RECIPIENT_ROLES.every((r) => DONE.has(l.deliveries?.[r]?.state ?? ''));
  if (seen.some(allDone)) {
    try {
      await ctx.letters.transition(letterId, { from: ['rendered'], to: 'distributed', entry: entry(ctx, 'system', 'distributed') });
    } catch (error) {
      if (!(error instanceof ConditionNotMetError)) throw error;
    }
  }
  if (result.waiting.length) throw new RetryLaterError(`recipients to try again: ${result.waiting.join(', ')}`);
  return result;
}

/** One write claims every pending recipient; if another worker took some meanwhile, the rest are claimed one by one. */
async function claimPending(ctx: DistributionContext, letterId: string, roles: RecipientRole[], at: string) {
  if (roles.length === 0) return [];
  const together = randomUUID();
  if (await ctx.letters.claimDeliveries(letterId, roles, together, ['pending'], at)) return roles.map((role) => ({ role, claim: together }));
  const claimed: { role: RecipientRole; claim: string }[] = [];
  for (const role of roles) {
    const claim = randomUUID();
    if (await ctx.letters.claimDeliveries(letterId, [role], claim, ['pending'], at)) claimed.push({ role, claim });
  }
  return claimed;
}

async function sendOne(
  ctx: DistributionContext,
  letter: Letter,
  role: RecipientRole,
  claim: string,
  pdf: Buffer,
  finalAttempt: boolean,
  result: DistributionResult,
  record: (...args: Parameters<typeof recordOutcome>) => Promise<void>,
) {
  const snapshot = letter.approval!.snapshot;
  const note = coveringEmail(snapshot, role, letter.pdf!);
  try {
    const messageId = await ctx.mailer.send({
      from: ctx.mailFrom,
      to: snapshot.recipients[role].email,
      subject: note.subject,
      text: note.text,
      html: note.html,
      attachment: { filename: note.filename, contentType: 'application/pdf', content: pdf },
      headers: { 'X-Letter-Id': letter.id, 'X-Letter-Recipient': role, 'X-Letter-Sha256': letter.pdf!.sha256 },
    });
    await record(ctx, letter.id, role, claim, { state: 'sent', messageId, lastError: undefined });
    result.sent.push(role);
  } catch (error) {
    const reason = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500);
    if (error instanceof RetryableSendError && !finalAttempt) {
      await record(ctx, letter.id, role, claim, { state: 'pending', lastError: reason });
      result.waiting.push(role);
    } else {
      await record(ctx, letter.id, role, claim, { state: 'failed', lastError: reason });
      result.failed.push(role);
    }
  }
}

function recordOutcome(ctx: DistributionContext, letterId: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>) {
  const action = outcome.state === 'sent' ? 'delivery-sent' : outcome.state === 'failed' ? 'delivery-failed' : 'delivery-deferred';
  const detail = outcome.state === 'sent' ? `${role}: ${outcome.messageId}` : `${role}: ${outcome.lastError ?? ''}`;
  return ctx.letters.recordDelivery(letterId, role, claim, outcome, entry(ctx, 'system', action, detail));
}

/**
 * Tries again the recipients whose delivery failed.
 * 1. Check the role is a manager's and some recipient has failed.
 * 2. Put those recipients back to pending in one conditional write, then queue distribution.
 */
export async function redistributeLetter(ctx: LetterContext, actor: Actor, id: string): Promise<Letter> {
  authorise(actor, 'redistribute');
  const letter = await loadLetter(ctx, id);
  const failed = RECIPIENT_ROLES.filter((r) => letter.deliveries?.[r]?.state === 'failed');
  if ((letter.status !== 'rendered' && letter.status !== 'distributed') || failed.length === 0) {
    throw new ConflictError('No recipient of this letter has a failed delivery to retry.');
  }
  let updated: Letter;
  try {
    updated = await ctx.letters.requeueFailedDeliveries(id, failed, entry(ctx, actor, 'redistributed', failed.join(', ')));
  } catch (error) {
    if (error instanceof ConditionNotMetError) throw new ConflictError('The deliveries changed meanwhile; read the letter again.');
    throw error;
  }
  await ctx.jobs.enqueue('distribute', { letterId: id });
  return updated;
}
