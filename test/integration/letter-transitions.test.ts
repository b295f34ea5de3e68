import { EMPTY_CHAIN } from '../../lambdas/core/record';
import { checkIntegrity, letterAccessLog, letterHistory } from '../../lambdas/core/use-cases/letter-record';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CursorSeal } from '../../lambdas/adapters/cursors';
import { DynamoDbLetterRepository } from '../../lambdas/adapters/dynamodb/dynamodb-letter-repository';
import { letterTableDefinition } from '../../lambdas/adapters/dynamodb/letter-table';
import { UlidGenerator } from '../../lambdas/adapters/ids';
import { S3ArchiveStore } from '../../lambdas/adapters/s3/s3-archive-store';
import { NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { type Actor, contentOf, LETTER_STATUSES, type Letter, type LetterStatus, RENDER_REFUSED } from '../../lambdas/core/letter';
import { LetterInput, RECIPIENT_ROLES } from '../../lambdas/core/letter-schema';
import type { HistoryEntry } from '../../lambdas/core/letter';
import type { LetterRepository } from '../../lambdas/core/ports';
import { ACTIONS, guard, isArchived, type LetterAction } from '../../lambdas/core/transitions';
import type { ArchiveContext } from '../../lambdas/core/use-cases/context';
import { correctLetter, fixDeliveryAddress } from '../../lambdas/core/use-cases/correct-letter';
import { seedCouncils } from '../../lambdas/core/use-cases/council-directory';
import type { RecipientsContext } from '../../lambdas/core/use-cases/letter-recipients';
import { DynamoDbCouncilDirectory } from '../../lambdas/adapters/dynamodb/dynamodb-council-directory';
import { councilSeed } from '../../lambdas/local/local-stack';
import { redistributeLetter } from '../../lambdas/core/use-cases/distribute-letter';
import { withdrawLetter } from '../../lambdas/core/use-cases/withdraw-letter';
import { addFinding, removeFinding, updateFinding, updateLetter } from '../../lambdas/core/use-cases/draft-letters';
import { getLetter, retrievePdf } from '../../lambdas/core/use-cases/read-letters';
import { previewHtml } from '../../lambdas/core/use-cases/render-letter';
import { approveLetter, returnLetter, submitLetter } from '../../lambdas/core/use-cases/review-letters';

/**
 * Walks every action on a letter against every status, through the real use cases and the
 * DynamoDB repository on dynalite, and checks each answer against the table of actions: allowed
 * from the statuses the table lists (moving to the status it names), otherwise 409 with the
 * refusal the table words. The writes' conditions are walked on their own, and again behind a
 * read that was stale, so the answer holds when two requests race as well.
 */

const TABLE = 'letters';
const fixture = fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url));
const manager: Actor = { sub: 'local:manager', name: 'Mary Manager', role: 'manager' };
const reader: Actor = { sub: 'local:reader', name: 'Rita Records', role: 'reader' };

let server: Server;
let s3Server: S3rver;
let s3Dir: string;
let dynamo: DynamoDBClient;
let letters: DynamoDbLetterRepository;
let ctx: ArchiveContext & RecipientsContext;
const ids = new UlidGenerator();

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dynamo = new DynamoDBClient({ endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await dynamo.send(new CreateTableCommand(letterTableDefinition(TABLE)));
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  letters = new DynamoDbLetterRepository(documents, TABLE, () => new CursorSeal(randomBytes(32).toString('base64url')), new Logger({ serviceName: 'letter-transitions' }));
  // An empty archive: the integrity check finds no manifest for the walk's letters and says so.
  s3Dir = mkdtempSync(join(tmpdir(), 'letter-transitions-s3-'));
  s3Server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'archive', configs: [] }] });
  const s3Address = (await s3Server.run()) as unknown as AddressInfo;
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${s3Address.port}`,
    region: 'eu-west-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  ctx = {
    letters,
    clock: { now: () => new Date() },
    ids,
    jobs: { enqueue: async () => undefined },
    archive: new S3ArchiveStore(s3, 'archive'),
    template: new NunjucksLetterTemplate(fileURLToPath(new URL('../../templates', import.meta.url))),
    // Previews in HTML never print.
    renderer: { fingerprint: () => Promise.reject(new Error('unused')), render: () => Promise.reject(new Error('unused')), close: async () => {} },
    presignExpiresSeconds: 60,
    councils: new DynamoDbCouncilDirectory(documents, TABLE),
    dfe: LetterInput.parse(JSON.parse(readFileSync(fixture, 'utf8'))).recipients.dfe,
  };
  await seedCouncils(ctx, councilSeed());
});

afterAll(async () => {
  await s3Server?.close();
  if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
  dynamo?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

/** One copy bounced (its address can be fixed), one failed (it can be sent again). */
const STATES = { director: 'bounced', chiefExecutive: 'sent', dfe: 'failed' } as const;

/**
 * A letter stored in `status`, carrying everything any action could need (findings, an approval
 * by someone else, a PDF, a bounced and a failed recipient), so that its status alone decides the answer.
 */
async function storedLetter(status: LetterStatus): Promise<Letter> {
  const { findings, ...facts } = LetterInput.parse(JSON.parse(readFileSync(fixture, 'utf8')));
  const at = new Date().toISOString();
  const letter: Letter = {
    id: ids.next(),
    status,
    version: 3,
    createdAt: at,
    updatedAt: at,
    createdBy: { sub: 'local:inspector', name: 'Simon Rushall' },
    contributors: ['local:inspector'],
    facts,
    findings: findings.map((f) => ({ id: ids.next(), ...f })),
    findingsBytes: findings.reduce((n, f) => n + Buffer.byteLength(f.text, 'utf8'), 0),
    history: [],
    head: EMPTY_CHAIN,
  };
  letter.approval = { by: { sub: 'local:another-manager', name: 'Another Manager' }, at, version: 3, snapshot: contentOf(letter) };
  letter.pdf = { key: `letters/${letter.id}/letter.pdf`, sha256: '0'.repeat(64), bytes: 1, pages: 2, manifestKey: 'm', htmlKey: 'h', renderedAt: at };
  letter.deliveries = Object.fromEntries(
    RECIPIENT_ROLES.map((role) => [role, { role, email: `${role}@example.org`, state: STATES[role], attempts: 1, updatedAt: at }]),
  );
  await letters.create(letter);
  return letter;
}

/** Each action by the use cases that take it, called as a manager would on the letter as stored. */
const USE_CASES: Partial<Record<LetterAction, Record<string, (c: ArchiveContext & RecipientsContext, l: Letter) => Promise<unknown>>>> = {
  read: { getLetter: (c, l) => getLetter(c, manager, l.id) },
  edit: {
    updateLetter: (c, l) => updateLetter(c, manager, l.id, l.version, { summary: 'Changed.' }),
    addFinding: (c, l) => addFinding(c, manager, l.id, { category: 'strength', text: 'Added.' }),
    updateFinding: (c, l) => updateFinding(c, manager, l.id, l.findings[0].id, l.version, { text: 'Edited.' }),
    removeFinding: (c, l) => removeFinding(c, manager, l.id, l.findings[0].id, l.version),
  },
  submit: { submitLetter: (c, l) => submitLetter(c, manager, l.id, l.version) },
  return: {
    // An approved letter is returned only once the render refused it: the walk stores that refusal first.
    returnLetter: async (c, l) => {
      if (l.status === 'approved') await letters.recordEvent(l.id, { ...entry(), action: RENDER_REFUSED });
      return returnLetter(c, manager, l.id, 'Please look again.', (await letters.get(l.id))!.version);
    },
  },
  approve: { approveLetter: (c, l) => approveLetter(c, manager, l.id, l.version) },
  preview: { previewHtml: (c, l) => previewHtml(c, manager, l.id) },
  redistribute: { redistributeLetter: (c, l) => redistributeLetter(c, manager, l.id) },
  fixAddress: {
    fixDeliveryAddress: (c, l) => fixDeliveryAddress(c, manager, l.id, 'director', { email: 'director.new@example.org', reason: 'Bounced.' }),
  },
  retrieve: { retrievePdf: (c, l) => retrievePdf(c, manager, l.id) },
  correct: { correctLetter: (c, l) => correctLetter(c, manager, l.id) },
  withdraw: { withdrawLetter: (c, l) => withdrawLetter(c, manager, l.id, 'Sent in error.') },
  history: { letterHistory: (c, l) => letterHistory(c, manager, l.id, { limit: 20 }) },
  accessLog: { letterAccessLog: (c, l) => letterAccessLog(c, manager, l.id, { limit: 20 }) },
  integrity: { checkIntegrity: (c, l) => checkIntegrity(c, manager, l.id) },
};

const refusal = (action: LetterAction, status: LetterStatus) => {
  const { from, done } = ACTIONS[action];
  const statuses = from.length > 1 ? `${from.slice(0, -1).join(', ')} or ${from.at(-1)}` : from[0];
  return { status: 409, message: `The letter is ${status}; only a ${statuses} letter can be ${done}.` };
};

/** What the table says should become of a letter in `status` once `action` is allowed. */
const statusAfter = (action: LetterAction, status: LetterStatus): LetterStatus => ('to' in ACTIONS[action] ? (ACTIONS[action] as { to: LetterStatus }).to : status);

const cases = Object.entries(USE_CASES).flatMap(([action, useCases]) =>
  Object.entries(useCases!).flatMap(([name, call]) => LETTER_STATUSES.map((status) => ({ action: action as LetterAction, name, call, status }))),
);

describe('every action in every status, through the use cases', () => {
  it('covers every action a person takes', () => {
    const taken = Object.entries(ACTIONS).filter(([name, rule]) => rule.who !== 'system' && name !== 'create').map(([name]) => name);
    expect(Object.keys(USE_CASES).sort()).toEqual(taken.sort());
  });

  it.each(cases)('$action ($name) on a $status letter', async ({ action, call, status }) => {
    const letter = await storedLetter(status);
    const allowed = (ACTIONS[action].from as readonly LetterStatus[]).includes(status);

    const answer = call(ctx, letter);

    if (allowed) {
      await expect(answer).resolves.toBeDefined();
      expect((await letters.get(letter.id))!.status).toBe(statusAfter(action, status));
    } else {
      await expect(answer).rejects.toMatchObject(refusal(action, status));
      const after = (await letters.get(letter.id))!;
      expect(after.version).toBe(letter.version);
      expect(after.status).toBe(status);
    }
  });

  it('refuses to return an approved letter the render has not refused, changing nothing', async () => {
    const letter = await storedLetter('approved');
    await expect(returnLetter(ctx, manager, letter.id, 'Too late.', letter.version)).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('only a submitted letter, or an approved one the render refused for its length, can be returned'),
    });
    const after = (await letters.get(letter.id))!;
    expect(after).toMatchObject({ status: 'approved', version: letter.version });
    expect(after.approval).toBeDefined();
  });

  it.each(LETTER_STATUSES)('shows a reader a %s letter, and its PDF, only when it is archived', async (status) => {
    const letter = await storedLetter(status);
    for (const read of [() => getLetter(ctx, reader, letter.id), () => retrievePdf(ctx, reader, letter.id)]) {
      if (isArchived(status)) await expect(read()).resolves.toBeDefined();
      else await expect(read()).rejects.toMatchObject({ status: 404, message: `No letter has the id "${letter.id}".` });
    }
  });
});

const entry = (): HistoryEntry => ({ at: new Date().toISOString(), by: { sub: 'test', name: 'Test' }, role: 'system', action: 'walk' });

/** Each writing action's repository write, held to the table's guard and nothing else. */
const WRITES: Partial<Record<LetterAction, (repo: LetterRepository, l: Letter) => Promise<Letter>>> = {
  edit: (repo, l) => repo.replaceFacts(l.id, guard('edit', l.version), { ...l.facts, summary: 'Changed.' }, entry()),
  submit: (repo, l) => repo.transition(l.id, guard('submit', l.version), { entry: entry() }),
  return: (repo, l) => repo.transition(l.id, guard('return', l.version), { entry: entry() }),
  approve: (repo, l) => repo.transition(l.id, guard('approve', l.version), { entry: entry() }),
  render: (repo, l) => repo.transition(l.id, guard('render'), { entry: entry() }),
  distribute: (repo, l) => repo.transition(l.id, guard('distribute'), { entry: entry() }),
  redistribute: (repo, l) => repo.requeueDeliveries(l.id, guard('redistribute'), [{ role: 'dfe', state: 'failed', email: 'dfe@example.org' }], entry()),
  fixAddress: (repo, l) =>
    repo.fixAddress(l.id, guard('fixAddress'), 'director', 'bounced', { from: 'director@example.org', email: 'd@example.org', reason: 'Bounced.', by: { sub: 'x', name: 'X' }, at: new Date().toISOString() }, entry()),
  correct: (repo, l) => repo.transition(l.id, guard('correct'), { entry: entry() }),
  supersede: (repo, l) => repo.transition(l.id, guard('supersede'), { supersededBy: { id: ids.next() }, entry: entry() }),
  withdraw: (repo, l) => repo.transition(l.id, guard('withdraw'), { entry: entry() }),
};

describe("every write in every status, held by the write's own condition", () => {
  const writes = Object.entries(WRITES).flatMap(([action, write]) => LETTER_STATUSES.map((status) => ({ action: action as LetterAction, write: write!, status })));

  it.each(writes)('$action on a $status letter', async ({ action, write, status }) => {
    const letter = await storedLetter(status);
    const allowed = (ACTIONS[action].from as readonly LetterStatus[]).includes(status);

    const answer = write(letters, letter);

    if (allowed) await expect(answer).resolves.toMatchObject({ status: statusAfter(action, status), version: letter.version + 1 });
    else await expect(answer).rejects.toMatchObject({ name: 'ConditionNotMetError' });
  });
});

describe('every action behind a stale read', () => {
  /**
   * The use case reads the letter in a status its action allows, and the letter moves on before
   * the write: the race two requests make. The repository's first read answers with that stale
   * status; the write and every later read see the letter as stored.
   */
  const staleFirstRead = (action: LetterAction): ArchiveContext & RecipientsContext => {
    let reads = 0;
    const stale: LetterRepository = Object.create(letters);
    stale.get = async (id) => {
      const letter = await letters.get(id);
      return letter && reads++ === 0 ? { ...letter, status: ACTIONS[action].from[0] } : letter;
    };
    return { ...ctx, letters: stale };
  };

  const raced = cases.filter(({ action, status }) => action in WRITES && !(ACTIONS[action].from as readonly LetterStatus[]).includes(status));

  it.each(raced)('$action ($name) on a letter that became $status', async ({ action, call, status }) => {
    const letter = await storedLetter(status);

    const answer = call(staleFirstRead(action), letter);

    await expect(answer).rejects.toMatchObject(refusal(action, status));
    const after = (await letters.get(letter.id))!;
    expect(after.version).toBe(letter.version);
    expect(after.status).toBe(status);
  });
});
