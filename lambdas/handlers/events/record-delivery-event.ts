import type { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent } from 'aws-lambda';
import { loadConfig } from '../../config';
import type { Clock, LetterRepository } from '../../core/ports';
import { recordDeliveryEvent } from '../../core/use-cases/record-delivery-event';
import { lambdaHandler } from '../../wiring/lambda';
import { dynamoClients, letterStore } from '../../wiring/letters';
import { parseSesEvent } from './ses-event';

export function createDeliveryEventHandler(deps: { letters: LetterRepository; clock: Clock; logger: Logger }) {
  return async (event: SNSEvent): Promise<void> => {
    for (const record of event.Records) {
      let message: unknown;
      try {
        message = JSON.parse(record.Sns.Message);
      } catch {
        deps.logger.warn('SES event is not JSON; ignored', { messageId: record.Sns.MessageId });
        continue;
      }
      const mailEvent = parseSesEvent(message, record.Sns.Timestamp);
      if (!mailEvent) continue;
      // Errors propagate: SNS retries the delivery to this function.
      const outcome = await recordDeliveryEvent(deps, mailEvent);
      deps.logger.info('delivery event', { ...mailEvent, outcome });
    }
  };
}

/** SES configuration-set events via SNS → each recipient's delivery state. */
export const handler = lambdaHandler(
  (logger) => {
    const { letters, clock } = letterStore(dynamoClients().documents, loadConfig(), logger);
    return { letters, clock, logger };
  },
  createDeliveryEventHandler,
);
