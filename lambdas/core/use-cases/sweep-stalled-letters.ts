import type { Letter, LetterStatus } from '../letter';
import type { Clock, JobName, JobQueue, LetterRepository } from '../ports';

/** The job that moves a letter on from each state it can be left in between stages. */
const NEXT_JOB = [
  ['approved', 'render'],
  ['rendered', 'distribute'],
  // A withdrawn letter's notices go out through the distribute stage too.
  ['withdrawn', 'distribute'],
] as const satisfies ReadonlyArray<readonly [LetterStatus, JobName]>;

/** Whether the stage still has something to do for a letter in this state; withdrawn letters stay withdrawn once their notices are out. */
export const workLeft = (letter: Letter) =>
  letter.status !== 'withdrawn' || Object.values(letter.notices ?? {}).some((n) => n?.state === 'pending' || n?.state === 'sending');

export interface SweepContext {
  letters: LetterRepository;
  jobs: JobQueue;
  clock: Clock;
}

export interface SweepOutcome {
  render: string[];
  distribute: string[];
}

/**
 * Queues again the letters left between stages: approved but never rendered, or rendered but
 * never distributed, because a queue message was never sent or was lost. The stages are
 * idempotent, so a letter that was only slow is not harmed by a second job.
 *
 * 1. Read every page of letters in each of the two states.
 * 2. Keep those unchanged for longer than `olderThanSeconds`.
 * 3. Queue each once, even if a page boundary shows it twice while letters move.
 */
export async function sweepStalledLetters(ctx: SweepContext, options: { olderThanSeconds: number; pageSize?: number }): Promise<SweepOutcome> {
  const cutoff = ctx.clock.now().getTime() - options.olderThanSeconds * 1000;
  const outcome: SweepOutcome = { render: [], distribute: [] };
  const queued = new Set<string>();
  for (const [status, job] of NEXT_JOB) {
    let cursor: string | undefined;
    do {
      const page = await ctx.letters.list({ status, limit: options.pageSize ?? 100, cursor });
      for (const letter of page.items) {
        if (letter.status !== status || !workLeft(letter) || Date.parse(letter.updatedAt) > cutoff || queued.has(letter.id)) continue;
        queued.add(letter.id);
        await ctx.jobs.enqueue(job, { letterId: letter.id });
        outcome[job].push(letter.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return outcome;
}
