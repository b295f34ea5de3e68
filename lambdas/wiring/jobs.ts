import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsJobQueue } from '../adapters/sqs/sqs-job-queue';
import type { Config } from '../config';

export function sqsClient(): SQSClient {
  return new SQSClient({});
}

export function sqsJobQueue(sqs: SQSClient, config: Config): SqsJobQueue {
  return new SqsJobQueue(sqs, { render: config.RENDER_QUEUE_URL, distribute: config.DISTRIBUTE_QUEUE_URL });
}
