import type { Letter, LetterStatus } from '../letter';
import type { Clock, JobName, JobQueue, LetterRepository } from '../ports';

/** The job that moves a letter on from each state it can be left in between stages. */
const NEXT_JOB: Partial<Record<LetterStatus, JobName>> = {
  approved: 'render',
  rendered: 'distribute',
  // A withdrawn letter's notices go out through the distribute stage too.
  withdrawn: 'distribute',
};

/** The states a letter can be left in with a stage still to run. */
export const UNFINISHED_STATES = Object.keys(NEXT_JOB) as LetterStatus[];

/**
 * The job a letter needs, judged by the letter itself rather than by the index it was found
 * through: an index may be behind the letter (DynamoDB's are eventually consistent) or, after a
 * crash of the local emulator between a letter's index entries and the letter, ahead of it.
 * Withdrawn letters stay withdrawn once their notices are out.
 */
export function nextJob(letter: Letter): JobName | undefined {
  if (letter.status === 'withdrawn' && !Object.values(letter.notices ?? {}).some((n) => n?.state === 'pending' || n?.state === 'sending')) return undefined;
  return NEXT_JOB[letter.status];
}

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
 * 1. Read every page of letters in each state a stage follows.
 * 2. Keep those unchanged for longer than `olderThanSeconds`.
 * 3. Queue each once, for the job its own state needs, even if a page boundary or a lagging
 *    index shows it twice.
 */
export async function sweepStalledLetters(ctx: SweepContext, options: { olderThanSeconds: number; pageSize?: number }): Promise<SweepOutcome> {
  const cutoff = ctx.clock.now().getTime() - options.olderThanSeconds * 1000;
  const outcome: SweepOutcome = { render: [], distribute: [] };
  const queued = new Set<string>();
  for (const status of UNFINISHED_STATES) {
    let cursor: string | undefined;
    do {
      const page = await ctx.letters.list({ status, limit: options.pageSize ?? 100, cursor });
      for (const letter of page.items) {
        const job = nextJob(letter);
        if (!job || Date.parse(letter.updatedAt) > cutoff || queued.has(letter.id)) continue;
        queued.add(letter.id);
        await ctx.jobs.enqueue(job, { letterId: letter.id });
        outcome[job].push(letter.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return outcome;
}
