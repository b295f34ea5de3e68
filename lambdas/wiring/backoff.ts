import type { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

export interface BackoffOptions {
  queueUrl: string | undefined;
  /** The wait before the second attempt; each later one waits twice as long as the last. */
  firstDelaySeconds?: number;
  maxDelaySeconds?: number;
}

/** The wait before a record's next attempt, from how many times it has been received. */
export function retryDelaySeconds(receiveCount: number, options: Pick<BackoffOptions, 'firstDelaySeconds' | 'maxDelaySeconds'> = {}): number {
  const first = options.firstDelaySeconds ?? 30;
  return Math.min(options.maxDelaySeconds ?? 900, first * 2 ** Math.max(0, receiveCount - 1));
}

/**
 * SQS retries a failed record when its visibility timeout ends, always after the same wait.
 * This hides each failed record for longer after every attempt (30 s, 1, 2, 4, 8 minutes...),
 * so an outage or SES throttling is waited out instead of spending the receives that lead to
 * the dead-letter queue. Failing to change the visibility only means the usual wait.
 */
export function withRetryBackoff<E extends SQSEvent>(
  handle: (event: E, context: Context) => Promise<SQSBatchResponse>,
  sqs: SQSClient,
  logger: Logger,
  options: BackoffOptions,
) {
  return async (event: E, context: Context): Promise<SQSBatchResponse> => {
    const response = await handle(event, context);
    const { queueUrl } = options;
    if (!queueUrl) return response;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    await Promise.all(
      event.Records.filter((record) => failed.has(record.messageId)).map(async (record) => {
        const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
        const seconds = retryDelaySeconds(receives, options);
        try {
          await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }));
        } catch (error) {
          logger.warn('could not delay the next attempt', { messageId: record.messageId, error });
        }
      }),
    );
    return response;
  };
}
