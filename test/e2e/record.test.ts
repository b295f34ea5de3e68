import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbLetterRecord } from '../../lambdas/adapters/dynamodb/letter-record';
import type { LetterItem } from '../../lambdas/adapters/dynamodb/letter-table';
import { LIMITS } from '../../lambdas/core/letter-schema';
import { canonicalJson, eventHash } from '../../lambdas/core/record';
import { eventually, recipientsFor } from '../support/pipeline-helpers';
import { ApiClient, type ApiResponse, startTestStack, submittedLetter, type TestStack } from '../support/stack';

const VERIFY_LIMIT = 30;

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
let secondManager: ApiClient;
let reader: ApiClient;
let anonymous: ApiClient;
/** One letter taken through the whole pipeline, shared by the tests that only read it. */
let archived: any;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const tableName = () => stack.deps.config.TABLE_NAME;
const eventKey = (letterId: string, seq: number) => ({ pk: `LETTER#${letterId}`, sk: `EVENT#${String(seq).padStart(10, '0')}` });
const letterKey = (letterId: string) => ({ pk: `LETTER#${letterId}`, sk: 'LETTER' });

/**
 * Seals every event still in the letter's tail, as the write that fills the tail would, for
 * the tests that alter sealed event items behind the API.
 */
async function sealRecord(letterId: string) {
  const documents = stack.deps.clients.documents;
  const read = async () => (await documents.send(new GetCommand({ TableName: tableName(), Key: letterKey(letterId), ConsistentRead: true }))).Item as LetterItem;
  await new DynamoDbLetterRecord(documents, tableName(), () => {
    throw new Error('sealing pages nothing');
  }).seal(letterId, await read());
  expect((await read()).tail).toEqual([]);
}

async function archive(name: string) {
  const letter = await submittedLetter(inspector, { recipients: recipientsFor(name), authority: { name: `${name} Council` } });
  const approved = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
  expect(approved.status).toBe(202);
  await stack.queue.idle();
  // The local mailbox reports each copy delivered shortly after sending; wait for all three, so
  // nothing changes the letter while the tests read it.
  const read = await eventually(async () => {
    const now = (await manager.get(`/api/letters/${letter.id}`)).body;
    return Object.values(now.deliveries ?? {}).every((d: any) => d.state === 'delivered') ? now : undefined;
  }, 'every copy delivered');
  expect(read.status).toBe('distributed');
  return read;
}

beforeAll(async () => {
  stack = await startTestStack({ env: { VERIFY_RATE_LIMIT: String(VERIFY_LIMIT), VERIFY_RATE_WINDOW_SECONDS: '3600' } });
  inspector = await stack.as('inspector', 'Simon Rushall');
  manager = await stack.as('manager', 'Mary Manager');
  secondManager = await stack.as('manager', 'Martin Second');
  reader = await stack.as('reader', 'Rita Records');
  anonymous = new ApiClient(stack.url, undefined);
  archived = await archive('recordkeeping');
}, 120_000);

afterAll(async () => {
  await stack?.destroy();
});

describe('reading a letter', () => {
  it('costs the same after 5,000 reads as after one: the same bytes, about the same time', async () => {
    // Prepare: readers' reads are recorded in the access log; staff reads are not recorded at all.
    const path = `/api/letters/${archived.id}`;
    const timed = async (client: ApiClient) => {
      const started = performance.now();
      const response = await client.get(path);
      const ms = performance.now() - started;
      expect(response.status).toBe(200);
      return { ms, bytes: Buffer.byteLength(response.text) };
    };

    // Act
    const readerReads: { ms: number; bytes: number }[] = [];
    const managerReads: { ms: number; bytes: number }[] = [];
    for (let i = 0; i < 2_500; i++) {
      readerReads.push(await timed(reader));
      managerReads.push(await timed(manager));
    }

    // Assess: the response is byte for byte the same size; the time stays within noise.
    for (const reads of [readerReads, managerReads]) {
      const first = reads.slice(0, 100);
      const last = reads.slice(-100);
      expect(new Set([...first, ...last].map((r) => r.bytes)).size).toBe(1);
      const ratio = median(last.map((r) => r.ms)) / median(first.map((r) => r.ms));
      expect(ratio).toBeLessThan(2);
    }
    const log = await manager.get(`/api/letters/${archived.id}/access?limit=100`);
    expect(log.body.items).toHaveLength(100);
    expect(log.body.items.every((a: any) => a.action === 'read' && a.by.name === 'Rita Records' && typeof a.by.sub === 'string')).toBe(true);
    expect(log.body.nextCursor).toEqual(expect.any(String));
    const older = await manager.get(`/api/letters/${archived.id}/access?limit=100&cursor=${encodeURIComponent(log.body.nextCursor)}`);
    expect(older.body.items).toHaveLength(100);
    expect(older.body.items[0].at <= log.body.items.at(-1).at).toBe(true);
    expect((await manager.get(`/api/letters/${archived.id}/integrity`)).body).toMatchObject({ valid: true, brokenAt: null });
  }, 600_000);
});

describe('the history', () => {
  it('gives the latest 20 events with the letter and pages the rest, newest first, each event once', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    for (let i = 0; i < 29; i++) {
      const added = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: `Finding ${i + 1}.` });
      expect(added.status).toBe(201);
    }

    const read = (await inspector.get(`/api/letters/${letter.id}`)).body;
    expect(read.history).toHaveLength(20);
    expect(read.history.map((h: any) => h.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 30 - i));
    expect(read.historyNext).toEqual(expect.any(String));

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await inspector.get(`/api/letters/${letter.id}/history?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.body.items.map((h: any) => h.seq));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));

    const rest = await inspector.get(`/api/letters/${letter.id}/history?cursor=${encodeURIComponent(read.historyNext)}`);
    expect(rest.body.items.map((h: any) => h.action)).toEqual([...Array(9).fill('finding-added'), 'created']);
    expect(rest.body.nextCursor).toBeNull();

    const forged = await inspector.get(`/api/letters/${letter.id}/history?cursor=${Buffer.from('{"i":"history","k":{"before":"x"}}').toString('base64url')}`);
    expect(forged.status).toBe(400);
    expect(forged.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });
});

describe('limits that hold under concurrency', () => {
  it('keeps 100 large findings and 2,000 edits within the byte budget: every answer 2xx or 4xx, and the letter can still be approved', async () => {
    // Prepare: text in a script whose characters take 3 bytes in UTF-8, the worst case for DynamoDB's item size.
    const large = (n: number) => `${'調査結果'.repeat(749)}${n}`.slice(0, LIMITS.findingText);
    const letter = await inspector.createLetter({
      findings: [{ category: 'strength', text: 'The finding everyone edits.' }],
      recipients: recipientsFor('bytebudget'),
      authority: { name: 'Byte Budget Council' },
    });
    const edited = letter.findings[0].id;
    let latest = String(letter.version);
    const track = (response: ApiResponse) => {
      const etag = response.headers.get('etag');
      if (etag && Number(etag.replaceAll('"', '')) > Number(latest)) latest = etag.replaceAll('"', '');
      return response;
    };

    // Act: 100 additions of 3,000 characters (9,000 bytes) each, racing 20 editors making 100 edits each.
    const additions = Array.from({ length: 100 }, (_, i) =>
      inspector.post(`/api/letters/${letter.id}/findings`, { category: 'areaForDevelopment', text: large(i) }).then(track),
    );
    const editors = Array.from({ length: 20 }, async (_, e) => {
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) {
        const text = i % 2 ? `Edit ${i} by editor ${e}.` : large(e * 100 + i);
        const response = track(await inspector.patch(`/api/letters/${letter.id}/findings/${edited}`, { text }, { 'If-Match': `"${latest}"` }));
        statuses.push(response.status);
      }
      return statuses;
    });
    const added = await Promise.all(additions);
    const edits = (await Promise.all(editors)).flat();

    // Assess
    const statuses = [...added.map((r) => r.status), ...edits];
    expect(statuses).toHaveLength(2_100);
    expect(statuses.filter((s) => s < 200 || s >= 500)).toEqual([]);
    const refusedForSize = added.filter((r) => r.status === 422);
    expect(refusedForSize.length).toBeGreaterThan(0);
    for (const refused of refusedForSize) expect(refused.body.errors.map((e: any) => e.field)).toEqual(['findings']);
    expect(edits.filter((s) => s === 200).length).toBeGreaterThan(20);

    // The budget kept on the item is exactly the UTF-8 size of the findings, and within the limit.
    const { Item } = await stack.deps.clients.documents.send(new GetCommand({ TableName: tableName(), Key: letterKey(letter.id) }));
    const bytes = Object.values(Item!.findings as Record<string, { text: string }>).reduce((n, f) => n + Buffer.byteLength(f.text, 'utf8'), 0);
    expect(Item!.findingsBytes).toBe(bytes);
    expect(bytes).toBeLessThanOrEqual(LIMITS.findingsBytes);

    const current = (await inspector.get(`/api/letters/${letter.id}`)).body;
    const submitted = await inspector.post(`/api/letters/${letter.id}/submit`, undefined, { 'If-Match': `"${current.version}"` });
    expect(submitted.status).toBe(200);
    const approved = await secondManager.post(`/api/letters/${letter.id}/approve`, { version: submitted.body.version });
    expect(approved.status).toBe(202);
    expect(approved.body.status).toBe('approved');
    await stack.queue.idle();
    // Whether it then prints within the page limit is the render stage's business; the record holds either way.
    expect((await manager.get(`/api/letters/${letter.id}/integrity`)).body).toMatchObject({ valid: true, brokenAt: null });
  }, 600_000);

  it('counts characters, not UTF-16 units, and normalises line breaks before counting lines', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    const emoji = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: '🙂'.repeat(LIMITS.findingText) });
    expect(emoji.status).toBe(201);
    const crlf = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: Array(30).fill('Line').join('\r\n') });
    expect(crlf.status).toBe(201);
    expect(crlf.body.findings.at(-1).text).toBe(Array(30).fill('Line').join('\n'));
    const tooMany = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: Array(31).fill('Line').join('\n') });
    expect(tooMany.status).toBe(422);
    const blanks = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'One.\n\n\nTwo.' });
    expect(blanks.status).toBe(422);
    expect(blanks.body.errors).toEqual([{ field: 'text', message: 'must not have more than one blank line in a row' }]);
  });
});

describe('the chained record', () => {
  it('is valid for an untouched letter, its head the hash of its latest event', async () => {
    const report = await manager.get(`/api/letters/${archived.id}/integrity`);
    expect(report.status).toBe(200);
    const history = (await manager.get(`/api/letters/${archived.id}`)).body.history;
    expect(report.body).toEqual({ valid: true, events: history[0].seq, head: history[0].hash, brokenAt: null, problem: null });
    // The approval covers the snapshot, the render the PDF and HTML; the chain links them all.
    expect(history.find((h: any) => h.action === 'approved').covers.snapshotSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(history.find((h: any) => h.action === 'rendered').covers).toEqual({ pdfSha256: archived.pdf.sha256, htmlSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await inspector.get(`/api/letters/${archived.id}/integrity`)).status).toBe(403);
  });

  it('stores the approved content once, and reads back exactly the content the approval vouched for', async () => {
    const { Item } = await stack.deps.clients.documents.send(new GetCommand({ TableName: tableName(), Key: letterKey(archived.id), ConsistentRead: true }));
    const item = Item as LetterItem;
    // No second copy of the letter in its item: its facts (with the recipients approval froze) and findings are the snapshot.
    expect(item.approval).toBeDefined();
    expect(item.approval!.snapshot).toBeUndefined();
    const snapshot = (await stack.deps.letters.get(archived.id))!.approval!.snapshot;
    expect(item.facts.recipients).toEqual(snapshot.recipients);
    expect(snapshot.findings.map((f) => f.text)).toEqual(archived.findings.map((f: any) => f.text));
    const history = (await manager.get(`/api/letters/${archived.id}`)).body.history;
    const vouched = history.find((h: any) => h.action === 'approved').covers.snapshotSha256;
    expect(sha256(Buffer.from(canonicalJson(snapshot)))).toBe(vouched);
  });

  it('reports the first altered event when a stored event is changed behind the API', async () => {
    const letter = await archive('tampered');
    await sealRecord(letter.id);
    const history = (await manager.get(`/api/letters/${letter.id}`)).body.history;
    const returned = history.find((h: any) => h.action === 'submitted');

    // Act: rewrite what the event says, straight into the table.
    await stack.deps.clients.documents.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: eventKey(letter.id, returned.seq),
        UpdateExpression: 'SET #event.#by = :by',
        ExpressionAttributeNames: { '#event': 'event', '#by': 'by' },
        ExpressionAttributeValues: { ':by': 'Someone Else' },
      }),
    );

    // Assess
    const report = (await manager.get(`/api/letters/${letter.id}/integrity`)).body;
    expect(report).toMatchObject({ valid: false, brokenAt: returned.seq });
    expect(report.events).toBe(returned.seq - 1);
  });

  it('still finds the change when the forger also recomputes the altered event’s own hash', async () => {
    const letter = await archive('forger');
    await sealRecord(letter.id);
    const history = (await manager.get(`/api/letters/${letter.id}`)).body.history;
    const approved = history.find((h: any) => h.action === 'approved');
    const { Item } = await stack.deps.clients.documents.send(new GetCommand({ TableName: tableName(), Key: eventKey(letter.id, approved.seq) }));
    const event = { ...Item!.event, by: 'Someone Else' };
    await stack.deps.clients.documents.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: eventKey(letter.id, approved.seq),
        UpdateExpression: 'SET #event = :event, #hash = :hash',
        ExpressionAttributeNames: { '#event': 'event', '#hash': 'hash' },
        ExpressionAttributeValues: { ':event': event, ':hash': eventHash(Item!.prev, approved.seq, event) },
      }),
    );
    expect(canonicalJson(event)).toContain('Someone Else');

    const report = (await manager.get(`/api/letters/${letter.id}/integrity`)).body;
    // The next event was chained onto the true hash, and the manifest holds the head at render.
    expect(report).toMatchObject({ valid: false, brokenAt: approved.seq + 1 });
  });

  it('does not call a record valid when the archived manifest it is compared with is gone or garbled', async () => {
    const letter = await archive('unanchored');
    const key = (await stack.deps.letters.get(letter.id))!.pdf!.manifestKey;
    expect((await manager.get(`/api/letters/${letter.id}/integrity`)).body).toMatchObject({ valid: true, problem: null });

    await stack.deps.archive.put(key, Buffer.from('not a manifest'), 'application/json');
    const garbled = (await manager.get(`/api/letters/${letter.id}/integrity`)).body;
    expect(garbled).toMatchObject({ valid: false, brokenAt: null, problem: expect.stringContaining("does not hold the record's head") });

    await stack.deps.clients.s3.send(new DeleteObjectCommand({ Bucket: process.env.ARCHIVE_BUCKET, Key: key }));
    const missing = await manager.get(`/api/letters/${letter.id}/integrity`);
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ valid: false, problem: expect.stringContaining('is missing') });
  });
});

describe('verifying a received PDF', () => {
  it('names the archived letter for the PDF’s SHA-256, without a token; the covering emails state the hash', async () => {
    // Prepare: the bytes a recipient holds.
    const redirect = await reader.get(`/api/letters/${archived.id}/pdf`);
    const pdf = new Uint8Array(await (await fetch(redirect.headers.get('location')!)).arrayBuffer());
    const hash = sha256(pdf);
    expect(hash).toBe(archived.pdf.sha256);
    const file = join(stack.dataDir, 'received.pdf');
    writeFileSync(file, pdf);
    const xmp = execFileSync('pdfinfo', ['-meta', file], { encoding: 'utf8' });
    expect(xmp).toContain('<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Annual unannounced inspection');
    expect(xmp).toContain('<dc:language><rdf:Bag><rdf:li>en-GB</rdf:li></rdf:Bag></dc:language>');

    // Act
    const verified = await anonymous.get(`/api/verify/${hash}`);
    const unknown = await anonymous.get(`/api/verify/${randomBytes(32).toString('hex')}`);
    const malformed = await anonymous.get('/api/verify/not-a-hash');

    // Assess
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({
      letterId: archived.id,
      council: 'recordkeeping Council',
      letterDate: archived.letterDate,
      approvedBy: 'Mary Manager',
      approvedAt: archived.approval.at,
      status: 'distributed',
      supersededBy: null,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'sha256', message: 'must be 64 hexadecimal digits' }]);

    // The message bodies as the local SES received them.
    const store = (await (await fetch(`${stack.emulators.sesUrl}/store`)).json()) as { emails: { subject: string; body: { text?: string; html?: string } }[] };
    // The DfE's copy goes to the configured address, so the letter's copies are told apart by subject.
    const emails = store.emails.filter((e) => e.subject.includes('recordkeeping Council'));
    expect(emails).toHaveLength(3);
    for (const email of emails) {
      expect(email.body.text).toContain(`SHA-256 fingerprint is ${hash}`);
      expect(email.body.html).toContain(hash);
    }
  });

  it(`limits each client to ${VERIFY_LIMIT} checks a window, then answers 429 with Retry-After`, async () => {
    const statuses: number[] = [];
    let refused: ApiResponse | undefined;
    for (let i = 0; i < VERIFY_LIMIT + 5; i++) {
      const response = await anonymous.get(`/api/verify/${archived.pdf.sha256}`);
      statuses.push(response.status);
      if (response.status === 429) refused ??= response;
    }
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the HTML twin', () => {
  it('is served as archived, under a sandboxing policy, and its retrieval goes to the access log', async () => {
    const response = await reader.get(`/api/letters/${archived.id}/html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/(^|; )sandbox(;|$)/);
    const rendered = (await manager.get(`/api/letters/${archived.id}/history?limit=100`)).body.items.find((h: any) => h.action === 'rendered');
    expect(sha256(Buffer.from(response.text, 'utf8'))).toBe(rendered.covers.htmlSha256);
    expect(response.text).toContain('Durham');

    const log = (await manager.get(`/api/letters/${archived.id}/access?limit=1`)).body.items;
    expect(log).toEqual([expect.objectContaining({ action: 'html-retrieved', by: expect.objectContaining({ name: 'Rita Records' }), role: 'reader' })]);
    const draft = await inspector.createLetter();
    expect((await inspector.get(`/api/letters/${draft.id}/html`)).status).toBe(409);
  });
});
