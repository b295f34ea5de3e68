import { MAIL_SERVICE } from '../actor';
import type { HistoryEntry } from '../letter';
import type { Clock, LetterRepository, MailEvent } from '../ports';
import { finishDistribution } from './distribute-letter';

export type { MailEvent } from '../ports';

type Ctx = { letters: LetterRepository; clock: Clock };

export type EventOutcome = 'applied' | 'stale' | 'untracked';

/**
 * Applies one mail event to the copy its message was: the letter, recipient, kind and send that
 * the message's tags name; a letter whose last copy this settles is then distributed.
 * 1. A message without our tags is none of this service's copies: nothing to change.
 * 2. Otherwise set the copy's state, in one conditional write that holds it to the same send (the
 *    claim, and the message id once recorded) and to events newer than the last one applied. So
 *    an event that arrives before the message id is recorded (or after the worker that sent it
 *    died) still tells the outcome, an older event never overwrites a newer one, and an event
 *    about a copy since sent again (say, to a fixed address) changes nothing.
 */
export async function recordDeliveryEvent(ctx: Ctx, event: MailEvent): Promise<EventOutcome> {
  if (!event.copy) return 'untracked';
  const { role, kind } = event.copy;
  const entry: HistoryEntry = {
    at: event.at,
    by: MAIL_SERVICE,
    role: 'system',
    action: `${kind === 'notice' ? 'notice' : 'delivery'}-${event.state}`,
    detail: `${role}: ${event.messageId}${event.detail ? `: ${event.detail}` : ''}`,
  };
  const after = await ctx.letters.applyDeliveryEvent(event.copy, event, entry);
  if (!after) return 'stale';
  // The event may tell the last outcome the stage was waiting for, after the worker that sent it died.
  if (kind === 'letter' && after.status === 'rendered') await finishDistribution(ctx, after);
  return 'applied';
}
