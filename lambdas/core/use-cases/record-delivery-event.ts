import type { HistoryEntry, Letter } from '../letter';
import type { LetterRepository, MailEvent, MessageLink } from '../ports';

export type { MailEvent } from '../ports';

type Ctx = { letters: LetterRepository };

/**
 * Applies one mail event to the recipient its message went to.
 * 1. Find the letter and recipient the message id was recorded for.
 * 2. None yet: the event overtook the write that records the id (sending and recording are two
 *    writes). Hold it beside the message id; the send applies it once the id is recorded.
 * 3. Otherwise change that recipient's state, if the message is still the recipient's latest:
 *    an event about a message since replaced by a redistribution is history, not state.
 */
export async function recordDeliveryEvent(ctx: Ctx, event: MailEvent): Promise<'applied' | 'held' | 'superseded'> {
  let link = await ctx.letters.findMessage(event.messageId);
  if (!link) {
    if (await ctx.letters.holdEvent(event.messageId, event)) return 'held';
    // The id was recorded between the look-up and the hold.
    link = await ctx.letters.findMessage(event.messageId);
    if (!link) throw new Error(`message ${event.messageId} is neither linked nor open to hold events`);
  }
  return (await applyEvent(ctx, link, event)) ? 'applied' : 'superseded';
}

/**
 * Records which letter and recipient a message id belongs to, and applies the events that
 * arrived before it. Returns the letter after the last event applied, if any.
 */
export async function applyHeldEvents(ctx: Ctx, link: MessageLink): Promise<Letter | undefined> {
  const held = await ctx.letters.linkMessage(link);
  let latest: Letter | undefined;
  for (const event of held) latest = (await applyEvent(ctx, link, event)) ?? latest;
  return latest;
}

function applyEvent(ctx: Ctx, link: MessageLink, event: MailEvent): Promise<Letter | undefined> {
  const entry: HistoryEntry = {
    at: event.at,
    by: 'mail service',
    role: 'system',
    action: `delivery-${event.state}`,
    detail: `${link.role}${event.detail ? `: ${event.detail}` : ''}`,
  };
  return ctx.letters.applyDeliveryEvent(link, event, entry);
}
