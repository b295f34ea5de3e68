import type { MailEvent } from '../../core/ports';

/**
 * Reads an SES event (configuration set event publishing, or identity notifications) into the
 * delivery state it means. Events that change nothing for a recipient (Send, Open, a transient
 * bounce SES keeps retrying) give undefined.
 */
export function parseSesEvent(message: unknown, receivedAt: string): MailEvent | undefined {
  const event = message as {
    eventType?: string;
    notificationType?: string;
    mail?: { messageId?: string; timestamp?: string };
    bounce?: { bounceType?: string; bounceSubType?: string; timestamp?: string; bouncedRecipients?: { diagnosticCode?: string }[] };
    complaint?: { complaintFeedbackType?: string; timestamp?: string };
    delivery?: { timestamp?: string; smtpResponse?: string };
    reject?: { reason?: string };
  };
  const type = event?.eventType ?? event?.notificationType;
  const messageId = event?.mail?.messageId;
  if (!type || typeof messageId !== 'string') return undefined;
  switch (type) {
    case 'Delivery':
      return { messageId, state: 'delivered', at: event.delivery?.timestamp ?? receivedAt };
    case 'Bounce':
      if (event.bounce?.bounceType !== 'Permanent') return undefined;
      return {
        messageId,
        state: 'bounced',
        detail: `${event.bounce.bounceSubType ?? 'Permanent'}: ${event.bounce.bouncedRecipients?.[0]?.diagnosticCode ?? 'no diagnostic'}`.slice(0, 500),
        at: event.bounce.timestamp ?? receivedAt,
      };
    case 'Complaint':
      return { messageId, state: 'complained', detail: event.complaint?.complaintFeedbackType, at: event.complaint?.timestamp ?? receivedAt };
    case 'Reject':
      return { messageId, state: 'failed', detail: `Rejected: ${event.reject?.reason ?? 'no reason given'}`, at: receivedAt };
    default:
      return undefined;
  }
}
