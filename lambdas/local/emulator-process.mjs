// The AWS service emulators in a process of their own, as AWS's services are not in a Lambda's:
// their work is not charged to the stack's process, and it runs on another core.
// Started by emulators.ts over an IPC channel: it receives { dataDir, bucket }, answers with the
// emulators' URLs (or { error }), and closes them on 'stop' or when its parent goes away.
// Plain JavaScript, so it starts with plain Node whatever runs the stack (tsx, Jest, a bundle).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import sesModule from 'aws-ses-v2-local';

const listen = (server) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });

const close = (server) =>
  new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

async function start({ dataDir, bucket }) {
  mkdirSync(join(dataDir, 's3'), { recursive: true });
  const dynamo = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamodbUrl = await listen(dynamo);
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dataDir, 's3'),
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const s3Url = `http://127.0.0.1:${(await s3.run()).port}`;
  // aws-ses-v2-local is CommonJS with its server as `default`; it listens as soon as it is created.
  const ses = await (sesModule.default ?? sesModule)({ host: '127.0.0.1', port: 0 });
  const sesUrl = `http://127.0.0.1:${ses.address().port}`;
  return { urls: { dynamodbUrl, s3Url, sesUrl }, stop: () => Promise.all([close(ses), s3.close(), close(dynamo)]) };
}

let running;
process.on('message', async (message) => {
  if (message === 'stop') {
    await running?.stop().catch(() => undefined);
    process.exit(0);
  }
  try {
    running = await start(message);
    process.send({ ready: running.urls });
  } catch (error) {
    process.send({ error: String(error?.stack ?? error) });
    process.exit(1);
  }
});
// The stack that started us is gone (stopped, killed, or a test runner's worker ended).
process.on('disconnect', () => process.exit(0));
