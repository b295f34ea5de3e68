import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { messagesTo } from '../support/outbox';
import { addCouncil, addressesOf, approve, recipientsFor } from '../support/pipeline-helpers';
import { type ApiClient, startTestStack, submittedLetter, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;

beforeAll(async () => {
  // What is under test is each send, exactly once; the local SES reports on no message meanwhile.
  stack = await startTestStack({ mailEventDelayMs: 3_600_000 });
  inspector = await stack.as('inspector', 'Simon Rushall');
  manager = await stack.as('manager', 'Mary Manager');
});

afterAll(async () => {
  await stack?.destroy();
});

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('many editors on one draft', () => {
  it('lands all of 100 findings added at the same time', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    const texts = Array.from({ length: 100 }, (_, i) => `Finding number ${i + 1} of the concurrent batch.`);

    const responses = await Promise.all(texts.map((text) => inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text })));

    expect(responses.map((r) => r.status)).toEqual(texts.map(() => 201));
    const after = (await inspector.get(`/api/letters/${letter.id}`)).body;
    expect(after.findings).toHaveLength(100);
    expect(after.findings.map((f: any) => f.text).sort()).toEqual([...texts].sort());
    expect(new Set(after.findings.map((f: any) => f.id)).size).toBe(100);
    // One version and one event per finding, numbered without gap or repeat: no write was lost or merged into another.
    expect(after.version).toBe(101);
    const events: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await inspector.get(`/api/letters/${letter.id}/history?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, i) => 101 - i));
    expect(events.filter((h: any) => h.action === 'finding-added')).toHaveLength(100);
    expect(new Set(events.map((e) => e.detail)).size).toBe(101);
    expect((await manager.get(`/api/letters/${letter.id}/integrity`)).body).toEqual({ valid: true, events: 101, head: events[0].hash, brokenAt: null, problem: null });

    const oneMore = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'One too many.' });
    expect(oneMore.status).toBe(409);
    expect((await inspector.get(`/api/letters/${letter.id}`)).body.version).toBe(101);
  });

  it('holds the limit when 101 findings race for 100 places', async () => {
    const letter = await inspector.createLetter({ findings: [] });

    const responses = await Promise.all(
      Array.from({ length: 101 }, (_, i) => inspector.post(`/api/letters/${letter.id}/findings`, { category: 'areaForDevelopment', text: `Race ${i}` })),
    );

    const statuses = responses.map((r) => r.status);
    expect(count(statuses, 201)).toBe(100);
    expect(count(statuses, 409)).toBe(1);
    expect((await inspector.get(`/api/letters/${letter.id}`)).body.findings).toHaveLength(100);
  });
});

describe('many managers on one letter', () => {
  it('gives one approval, one render and one email per recipient when 20 managers approve at once', async () => {
    const recipients = recipientsFor('twentymanagers');
    const authority = await addCouncil(manager, 'Twenty Managers Council', recipients);
    const letter = await submittedLetter(inspector, { recipients, authority });
    const managers = await Promise.all(Array.from({ length: 20 }, (_, i) => stack.as('manager', `Manager ${i + 1}`)));

    const responses = await Promise.all(managers.map((m) => m.post(`/api/letters/${letter.id}/approve`, { version: letter.version })));
    await stack.queue.idle();

    const statuses = responses.map((r) => r.status);
    expect(count(statuses, 202)).toBe(1);
    // The others find the letter already approved: a conflict, never a server error.
    expect(count(statuses, 409)).toBe(19);
    for (const refused of responses.filter((r) => r.status === 409)) {
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
    }

    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.status).toBe('distributed');
    const winner = responses.find((r) => r.status === 202)!.body.approval.by;
    expect(after.approval.by).toEqual(winner);
    const actions = after.history.map((h: any) => h.action);
    expect(actions.filter((a: string) => a === 'approved')).toHaveLength(1);
    expect(actions.filter((a: string) => a === 'rendered')).toHaveLength(1);
    expect(actions.filter((a: string) => a === 'distributed')).toHaveLength(1);
    expect(after.pdf).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const outbox = await stack.outbox();
    for (const address of addressesOf(recipients, authority.name)) {
      const messages = messagesTo(outbox, address);
      expect(messages).toHaveLength(1);
      expect(messages[0].attachments.map((a) => a.sha256)).toEqual([after.pdf.sha256]);
    }
  });
});

describe('many letters at once', () => {
  it('distributes 50 letters approved at the same moment, each exactly once to each recipient', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({ council: `Batch Council ${i + 1}`, recipients: recipientsFor(`batch${i + 1}`) }));
    await Promise.all(batch.map(({ council, recipients }) => addCouncil(manager, council, recipients)));
    const submitted = await Promise.all(
      batch.map(({ council, recipients }) => submittedLetter(inspector, { recipients, authority: { name: council } })),
    );

    const approvals = await Promise.all(submitted.map((l) => manager.post(`/api/letters/${l.id}/approve`, { version: l.version })));
    expect(approvals.map((r) => r.status)).toEqual(submitted.map(() => 202));
    await stack.queue.idle();

    const letters = await Promise.all(submitted.map(async (l) => (await manager.get(`/api/letters/${l.id}`)).body));
    expect(letters.map((l) => l.status)).toEqual(letters.map(() => 'distributed'));
    expect(stack.queue.deadLetters).toEqual([]);

    const outbox = await stack.outbox();
    const batchAddresses = batch.flatMap(({ council, recipients }) => addressesOf(recipients, council));
    expect(outbox.filter((m) => batchAddresses.some((a) => messagesTo([m], a).length))).toHaveLength(150);
    letters.forEach((letter, i) => {
      for (const address of addressesOf(batch[i].recipients, batch[i].council)) {
        const messages = messagesTo(outbox, address);
        expect(messages).toHaveLength(1);
        // Each recipient got this letter's archived bytes, not a neighbour's.
        expect(messages[0].attachments.map((a) => a.sha256)).toEqual([letter.pdf.sha256]);
      }
    });
    // Different councils print different letters; identical hashes would mean crossed wires.
    expect(new Set(letters.map((l) => l.pdf.sha256)).size).toBe(50);
  }, 120_000);

  it("refuses another manager's second approval of the same version, rendering once", async () => {
    const recipients = recipientsFor('lateapproval');
    const letter = await submittedLetter(inspector, { recipients, authority: await addCouncil(manager, 'Late Approval Council', recipients) });
    await approve(manager, letter);
    const again = await (await stack.as('manager', 'A Later Manager')).post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    expect(again.status).toBe(409);
    await stack.queue.idle();
    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.history.filter((h: any) => h.action === 'rendered')).toHaveLength(1);
  });
});
