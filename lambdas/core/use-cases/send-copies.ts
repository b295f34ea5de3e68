import { randomUUID } from 'node:crypto';
import type { Delivery, Letter } from '../letter';
import type { RecipientRole } from '../letter-schema';
import { ConditionNotMetError, type CopyKind, type OutgoingEmail, RetryableSendError, type StatusAfterDelivery } from '../ports';
import { type DistributionContext, entry, loadLetter } from './context';

/** A worker's hold on one copy: only its holder sends it and records the outcome. */
export interface Claim {
  letterId: string;
  role: RecipientRole;
  kind: CopyKind;
  /** Proves this worker holds the send; the message carries it as a tag. */
  claim: string;
}

export type Outcome = 'sent' | 'failed' | 'waiting';

export type DistributionResult = Record<Outcome, RecipientRole[]>;

/** Thrown when some recipient should be tried again later; the queue redelivers the job. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** One write claims every pending copy; if another worker took some meanwhile, the rest are claimed one by one. */
export async function claimPending(ctx: DistributionContext, letterId: string, roles: RecipientRole[], at: string, kind: CopyKind): Promise<Claim[]> {
  if (roles.length === 0) return [];
  const together = randomUUID();
  if (await ctx.letters.claimDeliveries(letterId, roles, together, ['pending'], at, kind)) {
    return roles.map((role) => ({ letterId, role, kind, claim: together }));
  }
  const claimed: Claim[] = [];
  for (const role of roles) {
    const claim = randomUUID();
    if (await ctx.letters.claimDeliveries(letterId, [role], claim, ['pending'], at, kind)) claimed.push({ letterId, role, kind, claim });
  }
  return claimed;
}

const OUTCOME_UNKNOWN =
  'Outcome unknown: the worker stopped between sending and recording, and the mail service has not reported on the message. Check whether the recipient received it before redistributing.';

/**
 * A copy left sending by a worker that died between sending and recording is never sent again:
 * if the mail service accepted it, its events (which carry the copy's tags) will say so. Past
 * `staleClaimSeconds`, or on the job's last attempt, it is marked failed, outcome unknown, for a
 * person; an event that comes later still resolves it.
 */
export async function settleAbandoned(
  ctx: DistributionContext,
  letter: Letter,
  kind: CopyKind,
  options: { finalAttempt: boolean },
): Promise<{ role: RecipientRole; outcome: Outcome; after?: Letter }[]> {
  const now = ctx.clock.now();
  const copies = (kind === 'notice' ? letter.notices : letter.deliveries) ?? {};
  const settled = [];
  for (const [role, delivery] of Object.entries(copies) as [RecipientRole, Delivery][]) {
    if (delivery?.state !== 'sending') continue;
    const age = (now.getTime() - Date.parse(delivery.updatedAt)) / 1000;
    // On the last receive nothing will look at this copy again: give it up as failed now rather
    // than leave it sending for ever behind a dead-lettered job.
    if ((age >= ctx.staleClaimSeconds || options.finalAttempt) && delivery.claim) {
      const claim = { letterId: letter.id, role, kind, claim: delivery.claim };
      settled.push({ role, outcome: 'failed' as const, after: await recordOutcome(ctx, claim, { state: 'failed', lastError: OUTCOME_UNKNOWN }) });
    } else {
      settled.push({ role, outcome: 'waiting' as const });
    }
  }
  return settled;
}

/** A claimed copy sent (or not), its outcome not yet recorded. */
export interface Sent {
  claim: Claim;
  outcome: Outcome;
  record: Partial<Delivery>;
}

/** Sends one claimed copy; the caller records what became of it. */
export async function sendClaimed(ctx: DistributionContext, claim: Claim, email: Omit<OutgoingEmail, 'copy' | 'from'>, finalAttempt: boolean): Promise<Sent> {
  try {
    const messageId = await ctx.mailer.send({ ...email, from: ctx.mailFrom, copy: claim });
    return { claim, outcome: 'sent', record: { state: 'sent', messageId, lastError: undefined } };
  } catch (error) {
    const lastError = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500);
    const retry = error instanceof RetryableSendError && !finalAttempt;
    return { claim, outcome: retry ? 'waiting' : 'failed', record: { state: retry ? 'pending' : 'failed', lastError } };
  }
}

/** How long outcomes that have come wait for the rest, so that copies answered together are recorded in one write. */
export const RECORD_TOGETHER_MS = 250;

/**
 * Sends claimed copies side by side and records each outcome as it comes, one write at a time.
 * Copies sent together are mostly answered moments apart: an outcome waits up to
 * RECORD_TOGETHER_MS for the others, and those that have come by then go in one write, so a copy
 * whose send hangs never holds the others' record for long. The write that records the last
 * outcome also makes the change `finish` names for them all (if any).
 */
export async function sendAndRecord(
  ctx: DistributionContext,
  copies: { claim: Claim; email: Omit<OutgoingEmail, 'copy' | 'from'> }[],
  finalAttempt: boolean,
  finish: (sends: Sent[]) => StatusAfterDelivery | undefined,
): Promise<{ role: RecipientRole; outcome: Outcome; after: Letter }[]> {
  const sends: Sent[] = [];
  let waiting: Sent[] = [];
  let answered = () => {};
  const everyAnswer = Promise.all(
    copies.map(async ({ claim, email }) => {
      const sent = await sendClaimed(ctx, claim, email, finalAttempt);
      sends.push(sent);
      waiting.push(sent);
      answered();
    }),
  );
  const recorded: { role: RecipientRole; outcome: Outcome; after: Letter }[] = [];
  while (recorded.length < copies.length) {
    if (waiting.length === 0) await new Promise<void>((resolve) => (answered = resolve));
    await atMost(everyAnswer, RECORD_TOGETHER_MS);
    const batch = waiting;
    waiting = [];
    const last = sends.length === copies.length;
    recorded.push(...(await recordOutcomes(ctx, batch, last ? finish(sends) : undefined)));
  }
  return recorded;
}

/** Waits for `promise`, but no longer than `ms`. */
async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Records what became of several sends of one letter in one write, with the change of status
 * `then` names when given (the letter distributed by the write that records its last copies).
 * If that write is refused (an event about one of the copies got there first, or the letter
 * moved on), each outcome is recorded on its own, as its claim still allows.
 */
export async function recordOutcomes(
  ctx: DistributionContext,
  sends: Sent[],
  then?: StatusAfterDelivery,
): Promise<{ role: RecipientRole; outcome: Outcome; after: Letter }[]> {
  if (sends.length > 1 || (sends.length === 1 && then)) {
    const { letterId, kind } = sends[0].claim;
    const records = sends.map(({ claim, record }) => ({ role: claim.role, claim: claim.claim, outcome: record, entry: outcomeEntry(ctx, claim, record) }));
    try {
      const after = await ctx.letters.recordDeliveries(letterId, records, kind, then);
      return sends.map(({ claim, outcome }) => ({ role: claim.role, outcome, after }));
    } catch (error) {
      if (!(error instanceof ConditionNotMetError)) throw error;
    }
  }
  return Promise.all(sends.map(async ({ claim, outcome, record }) => ({ role: claim.role, outcome, after: await recordOutcome(ctx, claim, record) })));
}

/** The history event of a copy's outcome. */
function outcomeEntry(ctx: DistributionContext, claim: Claim, outcome: Partial<Delivery>) {
  const prefix = claim.kind === 'notice' ? 'notice' : 'delivery';
  const action = `${prefix}-${outcome.state === 'sent' ? 'sent' : outcome.state === 'failed' ? 'failed' : 'deferred'}`;
  const detail = outcome.state === 'sent' ? `${claim.role}: ${outcome.messageId}` : `${claim.role}: ${outcome.lastError ?? ''}`;
  return entry(ctx, 'system', action, detail);
}

/**
 * Records a claimed copy's outcome. When the write is refused, the copy is no longer this
 * worker's to record: an event about the message (found by its tags) got there first and its
 * state stands. The letter as it now is is returned either way.
 */
export async function recordOutcome(ctx: DistributionContext, claim: Claim, outcome: Partial<Delivery>): Promise<Letter> {
  const { letterId, role, kind } = claim;
  try {
    return await ctx.letters.recordDelivery(letterId, role, claim.claim, outcome, outcomeEntry(ctx, claim, outcome), kind);
  } catch (error) {
    if (!(error instanceof ConditionNotMetError)) throw error;
    return loadLetter(ctx, letterId);
  }
}
