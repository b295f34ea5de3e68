import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobName, JobQueue } from '../../lambdas/core/ports';
import { type ApiClient, startTestStack, submittedLetter, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
/** Every job the API and the stages asked for, in order, and the render jobs this test lets vanish. */
const sent: { job: JobName; letterId: string }[] = [];
const lose = new Set<string>();

beforeAll(async () => {
  stack = await startTestStack({
    // Letters count as stalled at once, and the timer stays off: the test runs each sweep itself.
    env: { SWEEP_AFTER_SECONDS: '1' },
    sweepIntervalMs: 0,
    // A fault no real part produces on demand: the approval is written but its render job is
    // lost, as when SQS fails between the two.
    wrapJobs: (queue: JobQueue): JobQueue => ({
      async enqueue(job, body) {
        sent.push({ job, letterId: body.letterId });
        if (job === 'render' && lose.delete(body.letterId)) return;
        await queue.enqueue(job, body);
      },
    }),
  });
  inspector = await stack.as('inspector', 'Simon Rushall');
  manager = await stack.as('manager', 'Mary Manager');
});

afterAll(async () => {
  await stack?.destroy();
});

const jobsFor = (letterId: string, job: JobName) => sent.filter((s) => s.letterId === letterId && s.job === job).length;

describe('the sweeper', () => {
  it('sends a letter left approved with no queued job on to rendering and distribution, once', async () => {
    // Prepare: an approved letter whose render job never reached the queue.
    const letter = await submittedLetter(inspector);
    lose.add(letter.id);
    expect((await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version })).status).toBe(202);
    await stack.queue.idle();
    expect((await manager.get(`/api/letters/${letter.id}`)).body.status).toBe('approved');
    expect(jobsFor(letter.id, 'render')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // Act: one sweep.
    const outcome = await stack.sweep();
    await stack.queue.idle();

    // Assess: queued once, rendered, and three emails sent.
    expect(outcome.render.filter((id) => id === letter.id)).toHaveLength(1);
    expect(jobsFor(letter.id, 'render')).toBe(2);
    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.status).toBe('distributed');
    const outbox = await stack.outbox();
    expect(outbox.filter((m) => m.subject.includes('Durham')).length).toBeGreaterThanOrEqual(3);
    // Sent, or already reported delivered by the local SES.
    for (const d of Object.values(after.deliveries) as any[]) expect(['sent', 'delivered']).toContain(d.state);

    // A later sweep finds nothing left to move on.
    const again = await stack.sweep();
    expect([...again.render, ...again.distribute]).not.toContain(letter.id);
    expect(jobsFor(letter.id, 'render')).toBe(2);
  });

  it('leaves letters alone that changed more recently than the threshold', async () => {
    const letter = await submittedLetter(inspector);
    lose.add(letter.id);
    await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    await stack.queue.idle();
    const outcome = await stack.sweep();
    expect(outcome.render).not.toContain(letter.id);
    expect((await manager.get(`/api/letters/${letter.id}`)).body.status).toBe('approved');
  });
});
