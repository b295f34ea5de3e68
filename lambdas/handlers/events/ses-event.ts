import { copyFromTags } from '../../adapters/ses/message-tags';
import type { MailEvent } from '../../core/ports';

interface SesEventMessage {
  eventType?: string;
  notificationType?: string;
  mail?: { messageId?: string; timestamp?: string; tags?: unknown };
  bounce?: { bounceType?: string; bounceSubType?: string; timestamp?: string; bouncedRecipients?: { diagnosticCode?: string }[] };
  complaint?: { complaintFeedbackType?: string; timestamp?: string };
  delivery?: { timestamp?: string; smtpResponse?: string };
  reject?: { reason?: string };
}

/**
 * Reads an SES event (configuration set event publishing, or identity notifications) into the
 * delivery state it means. Events that change nothing for a recipient (Send, Open, a transient
 * bounce SES keeps retrying) give undefined.
 */
export function parseSesEvent(message: unknown, receivedAt: string): MailEvent | undefined {
  const event = message as SesEventMessage;
  const type = event?.eventType ?? event?.notificationType;
  const messageId = event?.mail?.messageId;
  if (!type || typeof messageId !== 'string') return undefined;
  const copy = copyFromTags(event.mail?.tags);
  // The copy the message was, from the tags it was sent with and SES echoes.
  const state = stateOf(event, type, receivedAt);
  return state && { messageId, ...state, ...(copy ? { copy } : {}) };
}

function stateOf(event: SesEventMessage, type: string, receivedAt: string): Omit<MailEvent, 'messageId' | 'copy'> | undefined {
  switch (type) {
    case 'Delivery':
      return { state: 'delivered', at: event.delivery?.timestamp ?? receivedAt };
    case 'Bounce':
      if (event.bounce?.bounceType !== 'Permanent') return undefined;
      return {
        state: 'bounced',
        detail: `${event.bounce.bounceSubType ?? 'Permanent'}: ${event.bounce.bouncedRecipients?.[0]?.diagnosticCode ?? 'no diagnostic'}`.slice(0, 500),
        at: event.bounce.timestamp ?? receivedAt,
      };
    case 'Complaint':
      return { state: 'complained', detail: event.complaint?.complaintFeedbackType, at: event.complaint?.timestamp ?? receivedAt };
    case 'Reject':
      return { state: 'failed', detail: `Rejected: ${event.reject?.reason ?? 'no reason given'}`, at: receivedAt };
    default:
      return undefined;
  }
}
