import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';

const JobBody = z.strictObject({ letterId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/) });

/** A job body that can never succeed: retrying it only delays its trip to the dead letters. */
class MalformedJobError extends Error {
  constructor(messageId: string) {
    super(`job ${messageId} is not {"letterId": "<id>"}`);
    this.name = 'MalformedJobError';
  }
}

/**
 * An SQS handler that runs a job per record with Powertools' batch processor, one record after
 * another, and reports the records that failed (partial batch failure): SQS redelivers only those
 * and moves a record that keeps failing to the dead-letter queue.
 */
export function jobHandler(logger: Logger, run: (letterId: string, record: SQSRecord) => Promise<unknown>) {
  const runJob = async (record: SQSRecord) => {
    const job = JobBody.safeParse(parseJson(record.body));
    if (!job.success) {
      logger.error('malformed job', { messageId: record.messageId, body: record.body.slice(0, 500) });
      throw new MalformedJobError(record.messageId);
    }
    const { letterId } = job.data;
    try {
      const outcome = await run(letterId, record);
      logger.info('job done', { messageId: record.messageId, letterId, outcome });
      return outcome;
    } catch (error) {
      logger.warn('job failed; it will be retried', { messageId: record.messageId, letterId, receiveCount: receiveCount(record), error });
      throw error;
    }
  };
  return (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    // The invocation's request id and function name go on every log line of its jobs.
    if (context) logger.addContext(context);
    // A processor holds one batch's state, and the local queue runs invocations side by side: one each.
    // A batch that fails whole is reported like any other, record by record, rather than thrown.
    return processPartialResponse(event, runJob, new BatchProcessor(EventType.SQS), {
      context,
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const receiveCount = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount ?? '1');
