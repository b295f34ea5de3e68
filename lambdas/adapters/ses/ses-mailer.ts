import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Mailer, type OutgoingEmail, RetryableSendError } from '../../core/ports';
import { copyTags } from './message-tags';

/** SES errors a later attempt can get past; anything else (MessageRejected, bad addresses) is final. */
const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailable', 'InternalFailure', 'RequestTimeout']);

export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string };
  if (e?.name && RETRYABLE.has(e.name)) return true;
  if (e?.Code && RETRYABLE.has(e.Code)) return true;
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (e?.$retryable) return true;
  // No answer at all: the network or the service is down, not the message at fault.
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(e?.code ?? '');
}

/** Builds the MIME message with nodemailer and sends it as raw email, one recipient per message, tagged with the copy it is. */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient,
    private readonly configurationSet?: string,
  ) {}

  async send(email: OutgoingEmail): Promise<string> {
    const raw = await new MailComposer({
      from: email.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      headers: email.headers,
      attachments: email.attachment
        ? [{ filename: email.attachment.filename, content: email.attachment.content, contentType: email.attachment.contentType }]
        : [],
      disableFileAccess: true,
      disableUrlAccess: true,
    })
      .compile()
      .build();
    try {
      const result = await this.client.send(
        new SendRawEmailCommand({
          RawMessage: { Data: raw },
          Destinations: [email.to],
          Source: email.from,
          ConfigurationSetName: this.configurationSet,
          Tags: copyTags(email.copy),
        }),
      );
      if (!result.MessageId) throw new RetryableSendError('SES accepted the message but returned no message id');
      return result.MessageId;
    } catch (error) {
      if (error instanceof RetryableSendError) throw error;
      if (isRetryable(error)) throw new RetryableSendError(`SES: ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
      throw error;
    }
  }
}
