import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';

const JobBody = z.strictObject({ letterId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/) });

/**
 * Runs a job per SQS record and reports the records that failed, so SQS redelivers only those
 * (partial batch failure) and moves a record that keeps failing to the dead-letter queue.
 */
export async function eachJob(
  event: SQSEvent,
  logger: Logger,
  run: (letterId: string, record: SQSRecord) => Promise<unknown>,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const job = JobBody.safeParse(body);
    if (!job.success) {
      // A malformed job can never succeed; retrying it only delays its trip to the dead letters.
      logger.error('malformed job', { messageId: record.messageId, body: record.body.slice(0, 500) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      const outcome = await run(job.data.letterId, record);
      logger.info('job done', { messageId: record.messageId, letterId: job.data.letterId, outcome });
    } catch (error) {
      logger.warn('job failed; it will be retried', {
        messageId: record.messageId,
        letterId: job.data.letterId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export const receiveCount = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount ?? '1');
