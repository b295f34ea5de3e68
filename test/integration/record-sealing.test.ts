import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CursorSeal } from '../../lambdas/adapters/cursors';
import { DynamoDbLetterRepository } from '../../lambdas/adapters/dynamodb/dynamodb-letter-repository';
import { letterTableDefinition } from '../../lambdas/adapters/dynamodb/letter-table';
import { UlidGenerator } from '../../lambdas/adapters/ids';
import { actorRecord } from '../../lambdas/core/actor';
import { type Actor, newDraft } from '../../lambdas/core/letter';
import { LetterInput } from '../../lambdas/core/letter-schema';
import { verifyChain } from '../../lambdas/core/record';

/**
 * A change is stored with its event in the letter's item, then the event is sealed into the
 * chained record by further writes. When sealing fails, the change stands, the letter still
 * answers with the event, and the failure is logged; the next write seals what was left.
 * dynalite cannot be made to fail one request, so the fault is injected: the repository's
 * client refuses the batch writes that store sealed events (a fake for that fault only; every
 * other request goes to dynalite), and the log is read as Powertools Logger writes it.
 */

const TABLE = 'letters';
const fixture = fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url));
const inspector: Actor = { sub: 'local:inspector', name: 'Simon Rushall', role: 'inspector' };
const ids = new UlidGenerator();

let server: Server;
let documents: DynamoDBDocumentClient;
let sealingFails = false;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dynamo = new DynamoDBClient({ endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await dynamo.send(new CreateTableCommand(letterTableDefinition(TABLE)));
  documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  documents?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  sealingFails = false;
  jest.restoreAllMocks();
});

/** dynalite behind a client that, while `sealingFails`, refuses the writes of sealed events. */
const faultyClient = {
  send: (command: unknown) =>
    sealingFails && command instanceof BatchWriteCommand ? Promise.reject(new Error('injected: DynamoDB is unavailable')) : documents.send(command as never),
} as unknown as DynamoDBDocumentClient;

/** What the logger writes, one JSON object a line, whichever stream it writes to. */
function capturedLog(): () => Record<string, any>[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => (lines.push(String(chunk)), true));
  }
  return () => lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}

function draft() {
  const { findings, ...facts } = LetterInput.parse(JSON.parse(readFileSync(fixture, 'utf8')));
  const created = { at: new Date().toISOString(), by: actorRecord(inspector), role: inspector.role, action: 'created' };
  return newDraft({ id: ids.next(), actor: inspector, created, facts, findings, findingId: () => ids.next() });
}

describe('an event that cannot be sealed', () => {
  it('leaves the change stored and the letter answering, logs the failure, and is sealed by the next write', async () => {
    const log = capturedLog();
    const letters = new DynamoDbLetterRepository(faultyClient, TABLE, () => new CursorSeal(randomBytes(32).toString('base64url')), new Logger({ serviceName: 'record-sealing' }));
    const letter = draft();

    sealingFails = true;
    await expect(letters.create(letter)).resolves.toBeUndefined();

    // The letter answers, its first event shown and chained though not yet sealed.
    const read = await letters.get(letter.id);
    expect(read).toMatchObject({ id: letter.id, status: 'draft', version: 1 });
    expect(read!.history).toEqual([expect.objectContaining({ action: 'created', seq: 1, hash: letter.history[0].hash })]);
    const record = await letters.readRecord(letter.id);
    expect(record).toMatchObject({ stored: [], unsealed: [expect.objectContaining({ action: 'created' })] });

    const warnings = log().filter((entry) => entry.level === 'WARN');
    expect(warnings).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('not sealed into the record'),
        service: 'record-sealing',
        letterId: letter.id,
        unsealed: 1,
        error: expect.objectContaining({ message: 'injected: DynamoDB is unavailable' }),
      }),
    ]);

    // Once DynamoDB answers again, the next write seals both events and the chain holds.
    sealingFails = false;
    await letters.recordEvent(letter.id, { at: new Date().toISOString(), by: actorRecord(inspector), role: inspector.role, action: 'previewed' });
    const healed = (await letters.readRecord(letter.id))!;
    expect(healed.stored.map((e) => e.event.action)).toEqual(['created', 'previewed']);
    expect(healed.unsealed).toEqual([]);
    expect(verifyChain(healed.stored, healed.sealedHead, healed.unsealed).valid).toBe(true);
  });
});
