import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { archiveKeys } from '../../lambdas/core/archive-keys';
import { LIMITS } from '../../lambdas/core/letter-schema';
import { type ApiClient, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector', 'Simon Rushall');
  manager = await stack.as('manager', 'Mary Manager');
});

afterAll(async () => {
  await stack?.destroy();
});

const findings = (count: number, text: string) => Array.from({ length: count }, () => ({ category: 'strength', text }));
const shortLines = Array.from({ length: 30 }, (_, i) => (i % 2 ? '' : `Line ${i + 1} of the finding.`)).join('\n');

describe('a letter over the page limit', () => {
  it('cannot be submitted, so it cannot be approved', async () => {
    const letter = await inspector.createLetter({ findings: findings(20, shortLines) });

    const submitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(submitted.status).toBe(422);
    expect(submitted.body.errors).toEqual([{ field: 'pages', message: expect.stringMatching(/at most 20/) }]);
    const approved = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    expect(approved.status).toBe(409);
    expect((await manager.get(`/api/letters/${letter.id}`)).body.status).toBe('draft');
  });

  it('that the estimate let through is refused by the render stage, and nobody is emailed', async () => {
    // Prepare: capital Ws are twice as wide as the estimate's average letter, so this prints about
    // twice the pages it was counted at when it was submitted.
    const outboxBefore = (await stack.outbox()).length;
    const letter = await inspector.createLetter({ findings: findings(10, 'WWWWWWW '.repeat(375).trim()) });
    const submitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(submitted.status).toBe(200);

    // Act
    const approved = await manager.post(`/api/letters/${letter.id}/approve`, { version: submitted.body.version });
    expect(approved.status).toBe(202);
    await stack.queue.idle();

    // Assess: nothing archived, nothing sent, and the history says why.
    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.status).toBe('approved');
    expect(after.pdf ?? null).toBeNull();
    expect(after.history).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'render-refused', detail: expect.stringContaining(`more than ${LIMITS.pages} pages`) })]),
    );
    const stored = (await stack.deps.letters.get(letter.id))!;
    await expect(stack.deps.archive.get(archiveKeys(stored).pdf)).rejects.toThrow();
    expect((await stack.outbox()).length).toBe(outboxBefore);
    expect(stack.queue.deadLetters).toEqual([]);

    // The sweeper queues letters left approved again; this one stays refused, and is not printed again.
    await stack.deps.jobs.enqueue('render', { letterId: letter.id });
    await stack.queue.idle();
    const again = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(again.status).toBe('approved');
    expect(again.history.filter((h: { action: string }) => h.action === 'render-refused')).toHaveLength(1);
    expect((await stack.outbox()).length).toBe(outboxBefore);

    // The way on: a manager returns it to its authors, who shorten it; approved again, it is sent.
    const returned = await manager.post(`/api/letters/${letter.id}/return`, { comment: 'It prints too many pages: shorten the strengths.' });
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ status: 'draft', returnComment: 'It prints too many pages: shorten the strengths.' });
    expect(returned.body.approval).toBeUndefined();
    let version = returned.body.version;
    for (const finding of returned.body.findings.slice(1)) {
      const removed = await inspector.delete(`/api/letters/${letter.id}/findings/${finding.id}`, { 'If-Match': `"${version}"` });
      expect(removed.status).toBe(200);
      version = removed.body.version;
    }
    const resubmitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(resubmitted.status).toBe(200);
    expect((await manager.post(`/api/letters/${letter.id}/approve`, { version: resubmitted.body.version })).status).toBe(202);
    await stack.queue.idle();
    const sent = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(['rendered', 'distributed']).toContain(sent.status);
    expect(sent.pdf.pages).toBeLessThanOrEqual(LIMITS.pages);
    expect((await stack.outbox()).length).toBe(outboxBefore + 3);
  });

  it('is returned from approved only once the render refused it, never while it is being printed', async () => {
    const letter = await inspector.createLetter();
    const submitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    const approved = await manager.post(`/api/letters/${letter.id}/approve`, { version: submitted.body.version });
    expect(approved.status).toBe(202);
    const returned = await manager.post(`/api/letters/${letter.id}/return`, { comment: 'Too late.' });
    expect(returned.status).toBe(409);
    await stack.queue.idle();
    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.status).not.toBe('draft');
    expect(after.approval.by.name).toBe('Mary Manager');
  });
});
