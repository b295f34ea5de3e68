import { createHash, randomUUID } from 'node:crypto';
import { coveringEmail } from '../covering-email';
import type { Actor, Delivery, Letter } from '../letter';
import { RECIPIENT_ROLES, type RecipientRole } from '../letter-schema';
import { RetryableSendError } from '../ports';
import { allowedFrom, check } from '../transitions';
import { authorise, type DistributionContext, entry, type LetterContext, loadLetter, writeIfFirst, writeOrExplain } from './context';
import { applyHeldEvents } from './record-delivery-event';

/** Thrown when some recipient should be tried again later; the queue redelivers the job. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

type Outcome = 'sent' | 'failed' | 'waiting';

export type DistributionResult = Record<Outcome, RecipientRole[]>;

const DONE = new Set(['sent', 'delivered']);
const everyoneSent = (l: Letter) => allowedFrom('distribute', l.status) && RECIPIENT_ROLES.every((r) => DONE.has(l.deliveries?.[r]?.state ?? ''));

/**
 * Sends the archived letter to each statutory recipient, each exactly once.
 * 1. Claim every recipient still pending with a conditional write: of any number of workers
 *    holding the same job, one wins each recipient.
 * 2. A claim left by a worker that died between sending and recording is not sent again: after
 *    `staleClaimSeconds`, or on the job's last attempt, it is marked failed with "outcome unknown",
 *    for a person to check and redistribute. That is the one window where a message may have gone
 *    without being recorded.
 * 3. Send the archived bytes (checked against their SHA-256) with one message per recipient.
 * 4. Record each message id, or the failure: permanent ones mark the recipient failed; throttling
 *    and outages release it to pending and the job is retried later.
 * 5. Once every recipient is sent, the letter is distributed.
 */
export async function distributeLetter(ctx: DistributionContext, letterId: string, options: { finalAttempt: boolean }): Promise<DistributionResult> {
  const letter = await loadLetter(ctx, letterId);
  const result: DistributionResult = { sent: [], failed: [], waiting: [] };
  // Copies go out while the letter is rendered, and again after a redistribution: the statuses redistribution starts from.
  if (!allowedFrom('redistribute', letter.status) || !letter.pdf || !letter.approval) return result;
  // Every write returns the letter as it then stood; the last write to land sees every recipient.
  const seen: Letter[] = [letter];
  const settle = (role: RecipientRole, outcome: Outcome, after?: Letter) => {
    result[outcome].push(role);
    if (after) seen.push(after);
  };

  const now = ctx.clock.now();
  const pending = RECIPIENT_ROLES.filter((r) => letter.deliveries?.[r]?.state === 'pending');
  const claimed = await claimPending(ctx, letterId, pending, now.toISOString());
  for (const role of RECIPIENT_ROLES) {
    const delivery = letter.deliveries?.[role];
    if (delivery?.state !== 'sending') continue;
    const age = (now.getTime() - Date.parse(delivery.updatedAt)) / 1000;
    // On the last receive nothing will look at this recipient again: give it up as failed
    // now rather than leave it sending for ever behind a dead-lettered job.
    if ((age >= ctx.staleClaimSeconds || options.finalAttempt) && delivery.claim) {
      const lastError =
        'Outcome unknown: the worker stopped between sending and recording. Check whether the recipient received it before redistributing.';
      settle(role, 'failed', await recordOutcome(ctx, { letterId, role, claim: delivery.claim }, { state: 'failed', lastError }));
    } else {
      settle(role, 'waiting');
    }
  }

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
      const sends = await Promise.all(claimed.map((claim) => sendOne(ctx, { letter, pdf, claim, finalAttempt: options.finalAttempt })));
      for (const { role, outcome, after } of sends) settle(role, outcome, after);
    }
  }

  if (seen.some(everyoneSent)) {
    // Of workers whose last sends land together, one records the letter distributed.
    await writeIfFirst('distribute', (guard) => ctx.letters.transition(letterId, guard, { entry: entry(ctx, 'system', 'distributed') }));
  }
  if (result.waiting.length) throw new RetryLaterError(`recipients to try again: ${result.waiting.join(', ')}`);
  return result;
}

interface Claim {
  letterId: string;
  role: RecipientRole;
  /** Proves this worker holds the send: only its holder records the outcome. */
  claim: string;
}

/** One write claims every pending recipient; if another worker took some meanwhile, the rest are claimed one by one. */
async function claimPending(ctx: DistributionContext, letterId: string, roles: RecipientRole[], at: string): Promise<Claim[]> {
  if (roles.length === 0) return [];
  const together = randomUUID();
  if (await ctx.letters.claimDeliveries(letterId, roles, together, ['pending'], at)) return roles.map((role) => ({ letterId, role, claim: together }));
  const claimed: Claim[] = [];
  for (const role of roles) {
    const claim = randomUUID();
    if (await ctx.letters.claimDeliveries(letterId, [role], claim, ['pending'], at)) claimed.push({ letterId, role, claim });
  }
  return claimed;
}

interface Send {
  letter: Letter;
  pdf: Buffer;
  claim: Claim;
  finalAttempt: boolean;
}

/** Sends one recipient's copy and records what became of it. */
async function sendOne(ctx: DistributionContext, { letter, pdf, claim, finalAttempt }: Send): Promise<{ role: RecipientRole; outcome: Outcome; after: Letter }> {
  const { role } = claim;
  const snapshot = letter.approval!.snapshot;
  const note = coveringEmail(snapshot, role, letter.pdf!);
  let messageId: string;
  try {
    messageId = await ctx.mailer.send({
      from: ctx.mailFrom,
      to: snapshot.recipients[role].email,
      subject: note.subject,
      text: note.text,
      html: note.html,
      attachment: { filename: note.filename, contentType: 'application/pdf', content: pdf },
      headers: { 'X-Letter-Id': letter.id, 'X-Letter-Recipient': role, 'X-Letter-Sha256': letter.pdf!.sha256 },
    });
  } catch (error) {
    const lastError = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500);
    const retry = error instanceof RetryableSendError && !finalAttempt;
    const after = await recordOutcome(ctx, claim, { state: retry ? 'pending' : 'failed', lastError });
    return { role, outcome: retry ? 'waiting' : 'failed', after };
  }
  const after = await recordOutcome(ctx, claim, { state: 'sent', messageId, lastError: undefined });
  // The mail service may have reported on the message before its id was recorded.
  const latest = await applyHeldEvents(ctx, { letterId: letter.id, role, messageId });
  return { role, outcome: 'sent', after: latest ?? after };
}

function recordOutcome(ctx: DistributionContext, { letterId, role, claim }: Claim, outcome: Partial<Delivery>): Promise<Letter> {
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
  check(letter, 'redistribute');
  const failed = RECIPIENT_ROLES.filter((r) => letter.deliveries?.[r]?.state === 'failed');
  const requeued = entry(ctx, actor, 'redistributed', failed.join(', '));
  const updated = await writeOrExplain(ctx, id, 'redistribute', {}, (guard) => ctx.letters.requeueFailedDeliveries(id, guard, failed, requeued));
  await ctx.jobs.enqueue('distribute', { letterId: id });
  return updated;
}
