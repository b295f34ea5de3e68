/**
 * The AWS services of the local stack, in a process of their own, as AWS's services are not in a
 * Lambda's: DynamoDB (dynalite), S3 (s3rver) and SES (aws-ses-v2-local behind the local mailbox,
 * which keeps the outbox and plays SES's events). Their work is not charged to the stack's process
 * and runs on another core. emulators.ts starts it and speaks to it over the IPC channel:
 *   parent → { start }                  child → { ready: urls } or { error }
 *   child → { deliver: n, event }       parent → { delivered: n, error? }   SNS calling the events Lambda
 *   parent → { outbox: n }              child → { outbox: n, messages }
 *   child → { log }                     a warning for the stack's log
 *   parent → 'stop', or the channel closes: everything closes and the process exits.
 */
import type { SNSEvent } from 'aws-lambda';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import sesModule from 'aws-ses-v2-local';
// The emulator's own store: the relay reads what the emulator parsed rather than parsing each message again.
import { getStoreReadonly } from 'aws-ses-v2-local/dist/store';
import { LocalMailbox } from './local-mailbox';

export interface StartMessage {
  start: { dataDir: string; bucket: string; mailEventDelayMs: number };
}

export type ParentMessage = StartMessage | { delivered: number; error?: string } | { outbox: number } | 'stop';

export type ChildMessage =
  | { ready: { dynamodbUrl: string; s3Url: string; sesUrl: string } }
  | { error: string }
  | { deliver: number; event: SNSEvent }
  | { outbox: number; messages: ReturnType<LocalMailbox['outbox']> }
  | { log: { message: string; detail: Record<string, unknown> } };

const send = (message: ChildMessage) => process.send!(message);

const listen = (server: Server) =>
  new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** Deliveries of events to the stack, waiting for its answer as SNS waits for the Lambda's. */
const waiting = new Map<number, { ok: () => void; fail: (error: Error) => void }>();
let nextDelivery = 0;

async function start({ dataDir, bucket, mailEventDelayMs }: StartMessage['start']) {
  mkdirSync(join(dataDir, 's3'), { recursive: true });
  const dynamo = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const dynamodbUrl = await listen(dynamo);
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dataDir, 's3'), configureBuckets: [{ name: bucket, configs: [] }] });
  const s3Url = `http://127.0.0.1:${((await s3.run()) as unknown as AddressInfo).port}`;
  // aws-ses-v2-local is CommonJS with its server as `default`; it listens as soon as it is created.
  const sesServer = ((sesModule as unknown as { default?: typeof sesModule }).default ?? sesModule) as typeof sesModule;
  const ses = (await sesServer({ host: '127.0.0.1', port: 0 })) as Server;
  const mailbox = await LocalMailbox.open({
    dataDir,
    sesUrl: `http://127.0.0.1:${(ses.address() as AddressInfo).port}`,
    delayMs: mailEventDelayMs,
    deliver: (event) =>
      new Promise<void>((ok, fail) => {
        const n = nextDelivery++;
        waiting.set(n, { ok, fail });
        send({ deliver: n, event });
      }),
    log: (message, detail) => send({ log: { message, detail } }),
    accepted: (messageId) => {
      const { emails } = getStoreReadonly();
      // The message just accepted is the newest, or close to it.
      for (let i = emails.length - 1; i >= 0; i--) {
        const email = emails[i];
        if (email.messageId !== messageId) continue;
        return {
          from: email.from,
          to: email.destination.to,
          cc: email.destination.cc,
          subject: email.subject,
          attachments: email.attachments.map((a) => ({ ...a, content: Buffer.from(a.content, 'base64') })),
        };
      }
      return undefined;
    },
  });
  return {
    // The stack's SES is the mailbox; it passes every request on to the emulator.
    urls: { dynamodbUrl, s3Url, sesUrl: mailbox.url },
    mailbox,
    stop: async () => {
      await mailbox.stop();
      await Promise.all([close(ses), s3.close(), close(dynamo)]);
    },
  };
}

let running: Awaited<ReturnType<typeof start>> | undefined;

process.on('message', async (message: ParentMessage) => {
  if (message === 'stop') {
    await running?.stop().catch(() => undefined);
    process.exit(0);
  }
  if ('start' in message) {
    try {
      running = await start(message.start);
      send({ ready: running.urls });
    } catch (error) {
      send({ error: String((error as Error)?.stack ?? error) });
      process.exit(1);
    }
  } else if ('delivered' in message) {
    const delivery = waiting.get(message.delivered);
    waiting.delete(message.delivered);
    if (message.error === undefined) delivery?.ok();
    else delivery?.fail(new Error(message.error));
  } else if ('outbox' in message) {
    send({ outbox: message.outbox, messages: running?.mailbox.outbox() ?? [] });
  }
});
// The stack that started us is gone (stopped, killed, or a test runner's worker ended).
process.on('disconnect', () => process.exit(0));
