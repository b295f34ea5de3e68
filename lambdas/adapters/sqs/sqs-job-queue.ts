import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobName, JobQueue } from '../../core/ports';

export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Record<JobName, string | undefined>,
  ) {}

  async enqueue(job: JobName, body: { letterId: string }): Promise<void> {
    const url = this.queueUrls[job];
    if (!url) throw new Error(`Configuration is not valid: no queue URL for ${job} jobs`);
    await this.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(body) }));
  }
}
