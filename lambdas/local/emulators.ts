import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { letterTableDefinition } from '../adapters/dynamodb/letter-table';

export interface Emulators {
  dynamodbUrl: string;
  s3Url: string;
  sesUrl: string;
  /** The process the emulators run in. */
  pid: number;
  stop(): Promise<void>;
}

const EMULATOR_PROCESS = fileURLToPath(new URL('./emulator-process.mjs', import.meta.url));

type Reply = { ready: Omit<Emulators, 'pid' | 'stop'> } | { error: string };

/**
 * Starts the emulators that speak AWS's wire protocols, on loopback with free ports, in a process
 * of their own: dynalite (DynamoDB, kept on disk), s3rver (S3, kept on disk) and aws-ses-v2-local
 * (SES). As on AWS, the services' work is not done in the stack's process.
 */
export async function startEmulators(options: { dataDir: string; bucket: string; tableName: string }): Promise<Emulators> {
  // Plain Node, whatever loaders or flags this process runs with.
  const child = fork(EMULATOR_PROCESS, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const reply = await new Promise<Reply>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Reply));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulators' process exited (${code}) before it was ready`)));
    child.send({ dataDir: options.dataDir, bucket: options.bucket });
  });
  if ('error' in reply) throw new Error(`the emulators did not start: ${reply.error}`);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.send('stop', (error) => error && child.kill());
      await exited;
    }
  };
  try {
    await ensureTable(reply.ready.dynamodbUrl, options.tableName);
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...reply.ready, pid: child.pid!, stop };
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
