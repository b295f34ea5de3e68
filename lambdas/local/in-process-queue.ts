import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { JobName, JobQueue } from '../core/ports';

export type QueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

interface Message {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
}

export interface DeadLetter {
  job: JobName;
  messageId: string;
  body: unknown;
  receiveCount: number;
  error?: string;
}

export interface QueueOptions {
  /** Receives before a message moves to the dead letters, as an SQS redrive policy's maxReceiveCount. */
  maxReceiveCount: number;
  /** Delay before a failed message is received again, doubled on each receive. */
  retryDelayMs: number;
  concurrency: Partial<Record<JobName, number>>;
  log?: (message: string, detail: Record<string, unknown>) => void;
}

/**
 * The queue between stages on one machine. It hands SQS-shaped events, one record each, to the
 * same handlers that SQS triggers on AWS, honours their partial batch failures, redelivers with
 * backoff and moves a message that keeps failing to the dead letters.
 */
export class InProcessQueue implements JobQueue {
  private readonly handlers = new Map<JobName, QueueHandler>();
  private readonly waiting = new Map<JobName, Message[]>();
  private readonly running = new Map<JobName, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  readonly deadLetters: DeadLetter[] = [];

  constructor(private readonly options: QueueOptions) {}

  register(job: JobName, handler: QueueHandler): void {
    this.handlers.set(job, handler);
    this.pump(job);
  }

  async enqueue(job: JobName, body: { letterId: string }): Promise<void> {
    if (this.stopped) throw new Error('The queue has stopped');
    this.pending++;
    this.push(job, { messageId: randomUUID(), body: JSON.stringify(body), sentAt: Date.now(), receiveCount: 0 });
  }

  /** Resolves once every message has been handled or dead-lettered. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work and waits for the messages in hand; what is still waiting is dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    while ([...this.running.values()].some((n) => n > 0)) await new Promise((r) => setTimeout(r, 20));
  }

  private push(job: JobName, message: Message) {
    const list = this.waiting.get(job) ?? [];
    list.push(message);
    this.waiting.set(job, list);
    this.pump(job);
  }

  private pump(job: JobName) {
    const handler = this.handlers.get(job);
    if (!handler || this.stopped) return;
    const limit = this.options.concurrency[job] ?? 1;
    const list = this.waiting.get(job) ?? [];
    while ((this.running.get(job) ?? 0) < limit && list.length > 0) {
      const message = list.shift()!;
      this.running.set(job, (this.running.get(job) ?? 0) + 1);
      void this.deliver(job, handler, message).finally(() => {
        this.running.set(job, (this.running.get(job) ?? 1) - 1);
        this.pump(job);
      });
    }
  }

  private async deliver(job: JobName, handler: QueueHandler, message: Message) {
    message.receiveCount++;
    let failed = false;
    let error: string | undefined;
    try {
      const result = await handler({ Records: [this.record(job, message)] });
      failed = (result?.batchItemFailures ?? []).some((f) => f.itemIdentifier === message.messageId);
    } catch (e) {
      failed = true;
      error = (e as Error).message;
    }
    if (!failed) return this.settle();
    if (message.receiveCount >= this.options.maxReceiveCount) {
      let body: unknown = message.body;
      try {
        body = JSON.parse(message.body);
      } catch {
        // keep it as text
      }
      this.deadLetters.push({ job, messageId: message.messageId, body, receiveCount: message.receiveCount, error });
      this.options.log?.('message moved to the dead letters', { job, messageId: message.messageId, body, receiveCount: message.receiveCount, error });
      return this.settle();
    }
    if (this.stopped) return this.settle();
    const delay = this.options.retryDelayMs * 2 ** (message.receiveCount - 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.push(job, message);
    }, delay);
    this.timers.add(timer);
  }

  private settle() {
    this.pending--;
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private record(job: JobName, message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}:${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${job}`,
      awsRegion: 'local',
    };
  }
}
