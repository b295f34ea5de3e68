import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CursorSeal } from '../../lambdas/adapters/cursors';
import { DynamoDbLetterRepository } from '../../lambdas/adapters/dynamodb/dynamodb-letter-repository';
import { SEAL_AT_EVENTS } from '../../lambdas/adapters/dynamodb/letter-record';
import { keys, letterTableDefinition } from '../../lambdas/adapters/dynamodb/letter-table';
import { UlidGenerator } from '../../lambdas/adapters/ids';
import { actorRecord } from '../../lambdas/core/actor';
import { type Actor, type HistoryEntry, newDraft } from '../../lambdas/core/letter';
import { LetterInput } from '../../lambdas/core/letter-schema';
import { verifyChain } from '../../lambdas/core/record';

/**
 * A change is stored with its event in the letter's item; the events wait in the item's tail,
 * shown and chained on read, until the write that fills the tail (SEAL_AT_EVENTS events) seals
 * them together into the chained record. When sealing fails, the change stands, the letter still
 * answers with the events, and the failure is logged; the next write seals what was left.
 * dynalite cannot be made to fail one request, so faults are injected: the repository's client
 * refuses the batch writes that store sealed events, or the update that moves the head after
 * them (a fake for those faults only; every other request goes to dynalite), and the log is read
 * as Powertools Logger writes it.
 */

const TABLE = 'letters';
const fixture = fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url));
const inspector: Actor = { sub: 'local:inspector', name: 'Simon Rushall', role: 'inspector' };
const ids = new UlidGenerator();

let server: Server;
let documents: DynamoDBDocumentClient;
let sealingFails = false;
let headMoveFails = false;
let batchWrites = 0;

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
  headMoveFails = false;
  jest.restoreAllMocks();
});

/** dynalite behind a client that counts batch writes and, while told to, refuses one step of sealing. */
const faultyClient = {
  send: (command: unknown) => {
    if (command instanceof BatchWriteCommand) {
      batchWrites++;
      if (sealingFails) return Promise.reject(new Error('injected: DynamoDB is unavailable'));
    }
    // The seal's last step: the update that moves the head past the events just stored.
    if (headMoveFails && command instanceof UpdateCommand && command.input.UpdateExpression?.startsWith('SET #head')) {
      return Promise.reject(new Error('injected: the function stopped before moving the head'));
    }
    return documents.send(command as never);
  },
} as unknown as DynamoDBDocumentClient;

/** What the logger writes, one JSON object a line, whichever stream it writes to. */
function capturedLog(): () => Record<string, any>[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => (lines.push(String(chunk)), true));
  }
  return () => lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}

const letterStore = () =>
  new DynamoDbLetterRepository(faultyClient, TABLE, () => new CursorSeal(randomBytes(32).toString('base64url')), new Logger({ serviceName: 'record-sealing' }));

const event = (n: number): HistoryEntry => ({ at: new Date().toISOString(), by: actorRecord(inspector), role: inspector.role, action: 'previewed', detail: `event ${n}` });

function draft() {
  const { findings, ...facts } = LetterInput.parse(JSON.parse(readFileSync(fixture, 'utf8')));
  const created = { at: new Date().toISOString(), by: actorRecord(inspector), role: inspector.role, action: 'created' };
  return newDraft({ id: ids.next(), actor: inspector, created, facts, findings, findingId: () => ids.next() });
}

/** A stored letter whose record holds `count` events in all, its first (created) among them. */
async function letterWithEvents(letters: DynamoDbLetterRepository, count: number) {
  const letter = draft();
  await letters.create(letter);
  for (let n = 2; n <= count; n++) await letters.recordEvent(letter.id, event(n));
  return letter;
}

async function allPages(letters: DynamoDbLetterRepository, id: string, limit: number, cursor?: string) {
  const pages: number[][] = [];
  do {
    const page = await letters.history(id, { limit, cursor });
    pages.push(page.items.map((e) => e.seq!));
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

const countdown = (from: number, to = 1) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

/** Event numbers `from` down to 1, newest first, in pages of `limit`: how a reader paging the record sees them. */
const inPages = (from: number, limit: number) => {
  const pages: number[][] = [];
  for (let top = from; top >= 1; top -= limit) pages.push(countdown(top, Math.max(1, top - limit + 1)));
  return pages;
};

describe('events sealed in batches', () => {
  it('leaves events in the tail until a write fills it, then seals them all with that write', async () => {
    const letters = letterStore();
    batchWrites = 0;
    const letter = await letterWithEvents(letters, SEAL_AT_EVENTS - 1);

    // Below the threshold, no write stored event items: they are all in the tail, shown and chained.
    expect(batchWrites).toBe(0);
    const waiting = (await letters.readRecord(letter.id))!;
    expect(waiting).toMatchObject({ stored: [], sealedHead: { seq: 0 } });
    expect(waiting.unsealed).toHaveLength(SEAL_AT_EVENTS - 1);
    const read = (await letters.get(letter.id))!;
    expect(read.history.map((e) => e.seq)).toEqual(countdown(SEAL_AT_EVENTS - 1));
    expect(read.history.at(-1)).toMatchObject({ action: 'created', hash: letter.history[0].hash });

    await letters.recordEvent(letter.id, event(SEAL_AT_EVENTS));
    expect(batchWrites).toBe(1);
    const sealed = (await letters.readRecord(letter.id))!;
    expect(sealed.stored.map((e) => e.seq)).toEqual(countdown(SEAL_AT_EVENTS).reverse());
    expect(sealed.unsealed).toEqual([]);
    expect(verifyChain(sealed.stored, sealed.sealedHead, sealed.unsealed)).toMatchObject({ valid: true, events: SEAL_AT_EVENTS });
    // What the reader sees is the same before and after: the hashes depend only on the events.
    expect((await letters.get(letter.id))!.history.slice(1)).toEqual(read.history);
  });

  it('pages the history across the tail and the sealed items, each event once, newest first', async () => {
    const letters = letterStore();
    // One batch sealed, then a tail one short of the next.
    const total = 2 * SEAL_AT_EVENTS - 1;
    const letter = await letterWithEvents(letters, total);
    const record = (await letters.readRecord(letter.id))!;
    expect(record.stored).toHaveLength(SEAL_AT_EVENTS);
    expect(record.unsealed).toHaveLength(SEAL_AT_EVENTS - 1);

    // Page boundaries inside the tail, at its end, across it, and inside the sealed items.
    for (const limit of [3, 5, 7, SEAL_AT_EVENTS - 1, SEAL_AT_EVENTS + 2, 100]) {
      expect(await allPages(letters, letter.id, limit)).toEqual(inPages(total, limit));
    }

    // The letter's own page of history, and where it leaves off, the same way.
    const read = (await letters.get(letter.id))!;
    expect(read.history.map((e) => e.seq)).toEqual(inPages(total, 20)[0]);
    expect(read.historyNext).toBeDefined();
    const entries = (await letters.history(letter.id, { limit: 20 })).items;
    expect(entries).toEqual(read.history);
    expect(await allPages(letters, letter.id, 20, read.historyNext)).toEqual(inPages(total, 20).slice(1));
  });

  it('goes on where the last page ended when the tail was sealed between pages', async () => {
    const letters = letterStore();
    const total = 2 * SEAL_AT_EVENTS - 1;
    const letter = await letterWithEvents(letters, total);
    const first = await letters.history(letter.id, { limit: 2 });
    expect(first.items.map((e) => e.seq)).toEqual([total, total - 1]);
    const deeper = await letters.history(letter.id, { limit: 5 });

    // The next write fills the tail and seals it: what the cursors pointed into is now sealed items.
    await letters.recordEvent(letter.id, event(total + 1));
    expect((await letters.readRecord(letter.id))!.unsealed).toEqual([]);

    expect(await allPages(letters, letter.id, 2, first.nextCursor)).toEqual(inPages(total - 2, 2));
    expect(await allPages(letters, letter.id, 5, deeper.nextCursor)).toEqual(inPages(total - 5, 5));
  });
});

describe('the integrity check over events not yet sealed', () => {
  it('holds a tail to the head archived with the PDF: an unsealed event changed behind the API breaks it', async () => {
    const letters = letterStore();
    const letter = await letterWithEvents(letters, SEAL_AT_EVENTS + 3);
    // As the render stage does: the manifest carries the letter's head, here among the unsealed events.
    const anchor = (await letters.get(letter.id))!.head;
    expect(anchor.seq).toBe(SEAL_AT_EVENTS + 3);
    const intact = (await letters.readRecord(letter.id))!;
    expect(intact.unsealed).toHaveLength(3);
    expect(verifyChain(intact.stored, intact.sealedHead, intact.unsealed, [anchor])).toMatchObject({ valid: true, events: anchor.seq, head: anchor.hash });

    // Rewrite what the second unsealed event says, in the letter's item.
    await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: keys.letter(letter.id),
        UpdateExpression: 'SET #tail[1].#detail = :detail',
        ExpressionAttributeNames: { '#tail': 'tail', '#detail': 'detail' },
        ExpressionAttributeValues: { ':detail': 'something else' },
      }),
    );
    const altered = (await letters.readRecord(letter.id))!;
    expect(verifyChain(altered.stored, altered.sealedHead, altered.unsealed, [anchor])).toMatchObject({ valid: false, brokenAt: anchor.seq });
  });

  it('is not broken by a seal that stopped after storing the event items, and the next write finishes it', async () => {
    const log = capturedLog();
    const letters = letterStore();
    const letter = await letterWithEvents(letters, SEAL_AT_EVENTS - 1);

    headMoveFails = true;
    await letters.recordEvent(letter.id, event(SEAL_AT_EVENTS));
    expect(log().filter((entry) => entry.level === 'WARN')).toEqual([
      expect.objectContaining({ letterId: letter.id, unsealed: SEAL_AT_EVENTS, error: expect.objectContaining({ message: expect.stringContaining('stopped') }) }),
    ]);

    // The event items are stored, the head has not moved: the tail still counts, and the record holds.
    const midway = (await letters.readRecord(letter.id))!;
    expect(midway).toMatchObject({ stored: [], sealedHead: { seq: 0 } });
    expect(midway.unsealed).toHaveLength(SEAL_AT_EVENTS);
    expect(verifyChain(midway.stored, midway.sealedHead, midway.unsealed)).toMatchObject({ valid: true, events: SEAL_AT_EVENTS });
    expect(await allPages(letters, letter.id, 3)).toEqual(inPages(SEAL_AT_EVENTS, 3));

    headMoveFails = false;
    await letters.recordEvent(letter.id, event(SEAL_AT_EVENTS + 1));
    const healed = (await letters.readRecord(letter.id))!;
    expect(healed.stored).toHaveLength(SEAL_AT_EVENTS + 1);
    expect(healed.unsealed).toEqual([]);
    expect(verifyChain(healed.stored, healed.sealedHead, healed.unsealed)).toMatchObject({ valid: true, events: SEAL_AT_EVENTS + 1 });
  });
});

describe('an event that cannot be sealed', () => {
  it('leaves the change stored and the letter answering, logs the failure, and is sealed by the next write', async () => {
    const log = capturedLog();
    const letters = letterStore();

    sealingFails = true;
    const letter = await letterWithEvents(letters, SEAL_AT_EVENTS);

    // The letter answers, its events shown and chained though not yet sealed; each event raised its version.
    const read = await letters.get(letter.id);
    expect(read).toMatchObject({ id: letter.id, status: 'draft', version: SEAL_AT_EVENTS });
    expect(read!.history.map((e) => e.seq)).toEqual(countdown(SEAL_AT_EVENTS));
    expect(read!.history.at(-1)).toEqual(expect.objectContaining({ action: 'created', seq: 1, hash: letter.history[0].hash }));
    const record = await letters.readRecord(letter.id);
    expect(record!.stored).toEqual([]);
    expect(record!.unsealed).toHaveLength(SEAL_AT_EVENTS);

    // Only the write that filled the tail tried to seal it.
    const warnings = log().filter((entry) => entry.level === 'WARN');
    expect(warnings).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('not sealed into the record'),
        service: 'record-sealing',
        letterId: letter.id,
        unsealed: SEAL_AT_EVENTS,
        error: expect.objectContaining({ message: 'injected: DynamoDB is unavailable' }),
      }),
    ]);

    // Once DynamoDB answers again, the next write seals every event and the chain holds.
    sealingFails = false;
    await letters.recordEvent(letter.id, event(SEAL_AT_EVENTS + 1));
    const healed = (await letters.readRecord(letter.id))!;
    expect(healed.stored.map((e) => e.event.action)).toEqual(['created', ...Array(SEAL_AT_EVENTS).fill('previewed')]);
    expect(healed.unsealed).toEqual([]);
    expect(verifyChain(healed.stored, healed.sealedHead, healed.unsealed).valid).toBe(true);
  });
});

describe('the version, which a poll holds as the ETag', () => {
  it('is raised by every write that changes what a read shows, even one with no event of its own', async () => {
    const letters = letterStore();
    const letter = draft();
    await letters.create(letter);
    expect(await letters.versionOf(letter.id)).toEqual({ version: 1, approved: false });

    await letters.recordEvent(letter.id, event(2));
    expect(await letters.versionOf(letter.id)).toEqual({ version: 2, approved: false });

    const at = new Date().toISOString();
    await letters.transition(letter.id, { from: ['draft'] }, { deliveries: { director: { role: 'director', email: 'director@example.gov.uk', state: 'pending', attempts: 0, updatedAt: at } }, entry: event(3) });
    expect(await letters.versionOf(letter.id)).toEqual({ version: 3, approved: false });

    // A claim records no event, yet a read now shows the copy being sent.
    expect(await letters.claimDeliveries(letter.id, ['director'], 'claim-1', ['pending'], at)).toBe(true);
    expect(await letters.versionOf(letter.id)).toEqual({ version: 4, approved: false });
    expect((await letters.get(letter.id))!.deliveries!.director).toMatchObject({ state: 'sending', claim: 'claim-1' });

    expect(await letters.versionOf(ids.next())).toBeUndefined();
  });
});
