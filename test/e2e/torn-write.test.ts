import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Level } from 'level';
import type { JobName, JobQueue } from '../../lambdas/core/ports';
import { messagesTo } from '../support/outbox';
import { addressesOf, approve, recipientsFor } from '../support/pipeline-helpers';
import { exampleLetter, startTestStack, submittedLetter, type TestStack } from '../support/stack';

/**
 * dynalite writes a letter's index entries first and the letter after them, so a local stack
 * killed between the two leaves the status index ahead of the letter, or, if it was killed
 * between removing the old entry and adding the new one, without the letter at all. A kill
 * cannot be timed to land there on demand, so this test makes those states in dynalite's own
 * LevelDB store while the stack is stopped, then starts the stack on it as `npm start` would.
 */

type Stored = Record<string, Record<string, unknown>>;
const ITEM = /^item-[^~]+~/;
const STATUS_INDEX = /^index-global~[^~]+~byStatus~/;

/** Opens dynalite's store in a stopped stack's data folder. */
async function openStore(dataDir: string): Promise<Level<string, Stored>> {
  const db = new Level<string, Stored>(join(dataDir, 'dynamodb'), { valueEncoding: 'json' });
  await db.open();
  return db;
}

/** The key and stored value of a letter's item, or of its entry in the status index. */
async function find(db: Level<string, Stored>, within: RegExp, letterId: string, sk?: string): Promise<[string, Stored]> {
  for await (const [key, value] of db.iterator()) {
    if (within.test(key) && value.pk?.S === `LETTER#${letterId}` && (sk === undefined || value.sk?.S === sk)) return [key, value];
  }
  throw new Error(`nothing stored for letter ${letterId} under ${within}`);
}

/** A queue that drops the jobs named, as a process killed before running them does. */
const dropping = (job: JobName) => (queue: JobQueue): JobQueue => ({
  async enqueue(name, body) {
    if (name !== job) await queue.enqueue(name, body);
  },
});

describe('a local stack restarted after a write torn between the status index and the letter', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'letters-torn-'));
  let stack: TestStack | undefined;

  afterAll(async () => {
    await stack?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('renders and distributes the letter once, whichever state the index was left in', async () => {
    // 1. Two letters approved, their render jobs lost with the process.
    stack = await startTestStack({ dataDir, sweepIntervalMs: 0, wrapJobs: dropping('render') });
    const inspector = await stack.as('inspector', 'Simon Rushall');
    const manager = await stack.as('manager', 'Mary Manager');
    const letters: { id: string; council: string; recipients: ReturnType<typeof recipientsFor> }[] = [];
    for (const tag of ['ahead', 'missing']) {
      const recipients = recipientsFor(`torn-${tag}`);
      const council = `Torn Council ${tag}`;
      const letter = await submittedLetter(inspector, { ...exampleLetter(), recipients, authority: { name: council } });
      await approve(manager, letter);
      letters.push({ id: letter.id, council, recipients });
    }
    await stack.queue.idle();
    await stack.stop();
    let db = await openStore(dataDir);
    const approvedItems = await Promise.all(letters.map(async (l) => (await find(db, ITEM, l.id, 'LETTER'))[1]));
    await db.close();

    // 2. The restart renders them; their distribute jobs are lost with the process in turn.
    stack = await startTestStack({ dataDir, sweepIntervalMs: 0, wrapJobs: dropping('distribute') });
    await stack.queue.idle();
    for (const l of letters) expect((await (await stack.as('manager', 'Mary Manager')).get(`/api/letters/${l.id}`)).body.status).toBe('rendered');
    await stack.stop();

    // 3. Each render's last write torn: the index entries written, the letter not. For the second
    //    letter, the kill also came before the status index's new entry: it has none.
    db = await openStore(dataDir);
    for (const [i, l] of letters.entries()) {
      const [key] = await find(db, ITEM, l.id, 'LETTER');
      await db.put(key, approvedItems[i]);
      const [, entry] = await find(db, STATUS_INDEX, l.id);
      expect(entry.status).toEqual({ S: 'rendered' });
    }
    await db.del((await find(db, STATUS_INDEX, letters[1].id))[0]);
    await db.close();

    // 4. Started as `npm start` starts it.
    stack = await startTestStack({ dataDir, sweepIntervalMs: 0 });
    await stack.queue.idle();
    const manager2 = await stack.as('manager', 'Mary Manager');
    const outbox = await stack.outbox();
    for (const l of letters) {
      const read = (await manager2.get(`/api/letters/${l.id}`)).body;
      expect(read.status).toBe('distributed');
      expect(read.history.filter((h: any) => h.action === 'rendered')).toHaveLength(1);
      for (const address of addressesOf(l.recipients, l.council)) {
        const sent = messagesTo(outbox, address);
        expect(sent).toHaveLength(1);
        expect(sent[0].attachments.map((a) => a.sha256)).toEqual([read.pdf.sha256]);
      }
    }
  }, 120_000);
});
