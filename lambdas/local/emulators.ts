import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import sesModule from 'aws-ses-v2-local';
import { letterTableDefinition } from '../adapters/dynamodb/letter-table';

export interface Emulators {
  dynamodbUrl: string;
  s3Url: string;
  sesUrl: string;
  stop(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

const close = (server: { close(cb: (err?: Error) => void): unknown; closeAllConnections?: () => void }) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

/**
 * Starts the emulators that speak AWS's wire protocols, on loopback with free ports:
 * dynalite (DynamoDB, kept on disk), s3rver (S3, kept on disk) and aws-ses-v2-local (SES).
 */
export async function startEmulators(options: { dataDir: string; bucket: string; tableName: string }): Promise<Emulators> {
  mkdirSync(join(options.dataDir, 's3'), { recursive: true });

  const dynamo = dynalite({ path: join(options.dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const dynamodbUrl = await listen(dynamo);

  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(options.dataDir, 's3'),
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  const s3Address = (await s3.run()) as unknown as AddressInfo;
  const s3Url = `http://127.0.0.1:${s3Address.port}`;

  // aws-ses-v2-local is CommonJS with its server as `default`; it listens as soon as it is created.
  const sesServer = ((sesModule as unknown as { default?: typeof sesModule }).default ?? sesModule) as typeof sesModule;
  const ses = await sesServer({ host: '127.0.0.1', port: 0 });
  const sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;

  await ensureTable(dynamodbUrl, options.tableName);

  return {
    dynamodbUrl,
    s3Url,
    sesUrl,
    async stop() {
      await Promise.all([close(ses), s3.close(), close(dynamo)]);
    },
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
