import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { letterTableDefinition } from '../adapters/dynamodb/letter-table';
import type { ChildMessage, ParentMessage } from './emulator-process';
import type { OutboxEntry } from './local-mailbox';

export interface Emulators {
  dynamodbUrl: string;
  s3Url: string;
  /** The local SES: the mailbox relay in front of aws-ses-v2-local (its `GET /store` passes through). */
  sesUrl: string;
  /** The process the emulators run in. */
  pid: number;
  /** Every message the local SES accepted, oldest first, with the latest event about each. */
  outbox(): Promise<OutboxEntry[]>;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  dataDir: string;
  bucket: string;
  tableName: string;
  /** How long after the local SES accepts a message its events come. */
  mailEventDelayMs: number;
  /** The events handler, given each SNS notification SES would publish; a failure is retried later, as SNS does. */
  deliver(event: SNSEvent): Promise<void>;
  log(message: string, detail: Record<string, unknown>): void;
}

const EMULATOR_PROCESS = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts the emulators that speak AWS's wire protocols, on loopback with free ports, in a process
 * of their own (emulator-process.ts): dynalite (DynamoDB, kept on disk), s3rver (S3, kept on disk)
 * and aws-ses-v2-local (SES) behind the local mailbox. As on AWS, the services' work is not done in
 * the stack's process; SES's events come back to `deliver` as SNS would bring them to the Lambda.
 */
export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  // Plain Node with TypeScript loading, whatever this process runs under (tsx, Jest, a bundle).
  const child = fork(EMULATOR_PROCESS, [], { cwd: PROJECT_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const post = (message: ParentMessage) => {
    if (child.connected) child.send(message, () => undefined);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const outboxReads = new Map<number, (messages: OutboxEntry[]) => void>();
  let nextRead = 0;
  let ready: (message: ChildMessage) => void = () => undefined;
  child.on('message', (message: ChildMessage) => {
    if ('deliver' in message) {
      options.deliver(message.event).then(
        () => post({ delivered: message.deliver }),
        (error) => post({ delivered: message.deliver, error: String(error) }),
      );
    } else if ('outbox' in message) {
      outboxReads.get(message.outbox)?.(message.messages);
      outboxReads.delete(message.outbox);
    } else if ('log' in message) options.log(message.log.message, message.log.detail);
    else ready(message);
  });
  const reply = await new Promise<ChildMessage>((resolve, reject) => {
    ready = resolve;
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulators' process exited (${code}) before it was ready`)));
    post({ start: { dataDir: options.dataDir, bucket: options.bucket, mailEventDelayMs: options.mailEventDelayMs } });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      post('stop');
      await exited;
    }
  };
  if (!('ready' in reply)) {
    await stop();
    throw new Error(`the emulators did not start: ${'error' in reply ? reply.error : JSON.stringify(reply)}`);
  }
  try {
    await ensureTable(reply.ready.dynamodbUrl, options.tableName);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ...reply.ready,
    pid: child.pid!,
    outbox: () =>
      new Promise<OutboxEntry[]>((resolve, reject) => {
        if (!child.connected) return reject(new Error('the emulators have stopped'));
        const n = nextRead++;
        outboxReads.set(n, resolve);
        post({ outbox: n });
      }),
    stop,
  };
}

async function ensureTable(endpoint: string, tableName: string) {
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(letterTableDefinition(tableName)));
  } finally {
    client.destroy();
  }
}
