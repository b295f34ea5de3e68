import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MessageRejected, SESServiceException } from '@aws-sdk/client-ses';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import type { Mailer, OutgoingEmail, PdfRenderer } from '../../lambdas/core/ports';
import type { OutboxMessage } from '../../lambdas/local/local-stack';
import { type Address, messagesTo } from '../support/outbox';
import { addCouncil, addressesOf, approve, archivedObject, eventually, recipientsFor, sha256 } from '../support/pipeline-helpers';
import { type ApiClient, exampleLetter, startTestStack, submittedLetter, type TestStack } from '../support/stack';
import { startProcess } from '../support/start-process';

/**
 * Every letter ends distributed, exactly once per recipient, or visibly failed and
 * redistributable, whatever fails on the way: storage, mail, the browser, the queue delivering
 * twice, or the process itself.
 */

/** A port nothing listens on: connections to it are refused, as by a stopped service. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const actions = (letter: any) => letter.history.map((h: any) => h.action) as string[];
const countOf = (list: string[], action: string) => list.filter((a) => a === action).length;

describe('faults on the local stack', () => {
  let stack: TestStack;
  let inspector: ApiClient;
  let manager: ApiClient;

  // Faults, armed by each test and disarmed after it.
  /** S3 is unreachable until the render with this number has come and gone. */
  let s3DownUntilRender = 0;
  let s3PutsRefused = 0;
  let sesFault: ((destination: string) => Error | undefined) | undefined;
  let crashDuringNextRender = false;
  let renders = 0;
  const killedBrowsers: number[] = [];
  let browser: ChromiumPdfRenderer;
  let mailerHang: { address: string; released: Promise<void> } | undefined;

  beforeAll(async () => {
    const refusedPort = await deadPort();
    stack = await startTestStack({
      // Two renders at once, so that a render job delivered twice really runs twice at once.
      queue: { concurrency: { render: 2, distribute: 4 } },
      // SES reports on no message during these tests (its events may come late): what is under
      // test is what the sends and their records alone decide.
      mailEventDelayMs: 3_600_000,
      wrapRenderer: (chromium: PdfRenderer): PdfRenderer => {
        browser = chromium as ChromiumPdfRenderer;
        return {
          fingerprint: () => chromium.fingerprint(),
          close: () => chromium.close(),
          async render(html, metadata, options) {
            renders++;
            const printing = chromium.render(html, metadata, options);
            // Its outcome is returned below; this only keeps an early failure from counting as unhandled.
            printing.catch(() => undefined);
            if (crashDuringNextRender) {
              crashDuringNextRender = false;
              // The browser is killed while this render is under way, as an out-of-memory kill would.
              const pid = await eventually(() => browser.browserPid(), 'the browser to start', 30_000, 5);
              process.kill(pid, 'SIGKILL');
              killedBrowsers.push(pid);
            }
            return printing;
          },
        };
      },
      // A worker that dies after SES took the message but before the send was recorded never
      // returns; a send that never resolves is the same thing, seen from the letter.
      wrapMailer: (ses: Mailer): Mailer => ({
        async send(email: OutgoingEmail) {
          const messageId = await ses.send(email);
          if (mailerHang && email.to === mailerHang.address) {
            const { released } = mailerHang;
            mailerHang = undefined;
            await released;
            throw new Error('the worker was stopped');
          }
          return messageId;
        },
      }),
    });
    inspector = await stack.as('inspector', 'Simon Rushall');
    manager = await stack.as('manager', 'Mary Manager');

    // S3 unreachable: PutObject requests go to a port nothing listens on, a real refused connection.
    stack.deps.clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' && renders <= s3DownUntilRender) {
          s3PutsRefused++;
          (args.request as { port?: number }).port = refusedPort;
        }
        return next(args);
      },
      { step: 'build', name: 'testRefuseS3Puts' },
    );
    // SES answers the emulator never gives. Added before the SDK's own retries, so the
    // pipeline's retries are the ones under test.
    stack.deps.clients.ses.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Destinations?: string[] };
        const error = context.commandName === 'SendRawEmailCommand' ? sesFault?.(input.Destinations?.[0] ?? '') : undefined;
        if (error) throw error;
        return next(args);
      },
      { step: 'initialize', name: 'testSesFaults' },
    );
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  async function letterFor(tag: string) {
    const recipients = recipientsFor(tag);
    const authority = await addCouncil(manager, `Faults Council ${tag}`, recipients);
    const letter = await submittedLetter(inspector, { recipients, authority });
    return { letter, recipients, addresses: addressesOf(recipients, authority.name), council: authority.name };
  }

  const read = async (id: string) => (await manager.get(`/api/letters/${id}`)).body;

  async function expectOneEmailEach(addresses: Address[], pdfSha: string) {
    const outbox = await stack.outbox();
    for (const address of addresses) {
      const messages = messagesTo(outbox, address);
      expect(messages).toHaveLength(1);
      expect(messages[0].attachments.map((a) => a.sha256)).toEqual([pdfSha]);
    }
  }

  it('retries a render whose archive writes are refused, and distributes once S3 is back', async () => {
    const { letter, addresses } = await letterFor('s3down');
    const rendersBefore = renders;
    const refusedBefore = s3PutsRefused;
    // Down for the first two attempts of the render job: every archive write of theirs is refused.
    s3DownUntilRender = renders + 2;

    await approve(manager, letter);
    await stack.queue.idle();

    // Two attempts failed at their writes (one or all three, as the writes are made); the third wrote everything.
    const refused = s3PutsRefused - refusedBefore;
    expect(renders - rendersBefore).toBe(3);
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused).toBeLessThanOrEqual(6);
    const after = await read(letter.id);
    expect(after.status).toBe('distributed');
    expect(countOf(actions(after), 'rendered')).toBe(1);
    expect(stack.queue.deadLetters).toEqual([]);
    expect(sha256(await archivedObject(stack, after.pdf.key))).toBe(after.pdf.sha256);
    const manifest = JSON.parse((await archivedObject(stack, after.pdf.key.replace('letter.pdf', 'manifest.json'))).toString('utf8'));
    expect(manifest.pdf.sha256).toBe(after.pdf.sha256);
    await expectOneEmailEach(addresses, after.pdf.sha256);
  });

  it('rides out SES throttling without emailing anyone twice', async () => {
    const { letter, addresses } = await letterFor('throttled');
    let throttled = 0;
    sesFault = () => {
      if (throttled >= 2) return undefined;
      throttled++;
      return new SESServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Maximum sending rate exceeded.' });
    };

    try {
      await approve(manager, letter);
      await stack.queue.idle();
    } finally {
      sesFault = undefined;
    }

    expect(throttled).toBe(2);
    const after = await read(letter.id);
    expect(after.status).toBe('distributed');
    expect(countOf(actions(after), 'delivery-deferred')).toBe(2);
    expect(countOf(actions(after), 'delivery-sent')).toBe(3);
    const attempts = Object.values(after.deliveries).map((d: any) => d.attempts).sort();
    expect(attempts).toEqual([1, 2, 2]);
    for (const d of Object.values(after.deliveries) as any[]) expect(d).toMatchObject({ state: 'sent', lastError: null });
    await expectOneEmailEach(addresses, after.pdf.sha256);
  });

  it('marks a rejected recipient failed with the reason, then redistributes to that one only', async () => {
    const { letter, recipients, addresses, council } = await letterFor('rejected');
    const rejected = recipients.dfe.email;
    sesFault = (destination) =>
      destination === rejected
        ? new MessageRejected({ $metadata: { httpStatusCode: 400 }, message: `Email address is not verified: ${rejected}` })
        : undefined;

    await approve(manager, letter);
    await stack.queue.idle();

    const failed = await read(letter.id);
    expect(failed.status).toBe('rendered');
    expect(failed.deliveries.dfe).toMatchObject({ state: 'failed', lastError: expect.stringContaining('MessageRejected') });
    expect(failed.deliveries.dfe.lastError).toContain('not verified');
    expect(failed.deliveries.director.state).toBe('sent');
    expect(failed.deliveries.chiefExecutive.state).toBe('sent');
    expect(messagesTo(await stack.outbox(), { email: rejected, council })).toHaveLength(0);

    // A redelivered job leaves a failed recipient failed: only a person sends again.
    await stack.queue.enqueue('distribute', { letterId: letter.id });
    await stack.queue.idle();
    expect((await read(letter.id)).deliveries.dfe.state).toBe('failed');

    sesFault = undefined;
    expect((await inspector.post(`/api/letters/${letter.id}/redistribute`)).status).toBe(403);
    const before = await stack.outbox();
    const redistributed = await manager.post(`/api/letters/${letter.id}/redistribute`);
    expect(redistributed.status).toBe(202);
    await stack.queue.idle();

    const after = await read(letter.id);
    const outbox = await stack.outbox();
    const added = outbox.slice(before.length);
    expect(added).toHaveLength(1);
    expect(added[0].to).toEqual([rejected]);
    expect(added[0].attachments.map((a) => a.sha256)).toEqual([after.pdf.sha256]);
    expect(after.status).toBe('distributed');
    expect(after.deliveries.dfe).toMatchObject({ state: 'sent', messageId: added[0].messageId, lastError: null });
    expect(actions(after)).toContain('redistributed');
    await expectOneEmailEach(addresses, after.pdf.sha256);
  });

  it('sends nothing when the archived PDF no longer matches its SHA-256, and says so on the recipient', async () => {
    const { letter, recipients, council } = await letterFor('tampered');
    const kept = [recipients.director.email, recipients.chiefExecutive.email];
    const rejected = recipients.dfe.email;
    sesFault = (destination) => (destination === rejected ? new MessageRejected({ $metadata: { httpStatusCode: 400 }, message: 'Address blocked' }) : undefined);
    await approve(manager, letter);
    await stack.queue.idle();
    sesFault = undefined;
    const failed = await read(letter.id);
    expect(failed.deliveries.dfe.state).toBe('failed');

    // The archived object is overwritten in the S3 emulator with other bytes, through a client of
    // its own (the stack's carries this suite's fault hooks).
    const original = await archivedObject(stack, failed.pdf.key);
    const tampered = Buffer.from(original);
    tampered.write('%PDF-1.7 tampered', 0, 'latin1');
    const s3 = new S3Client({ forcePathStyle: true });
    try {
      await s3.send(new PutObjectCommand({ Bucket: stack.deps.config.ARCHIVE_BUCKET, Key: failed.pdf.key, Body: tampered, ContentType: 'application/pdf' }));
    } finally {
      s3.destroy();
    }
    expect(sha256(await archivedObject(stack, failed.pdf.key))).not.toBe(failed.pdf.sha256);

    const outboxBefore = (await stack.outbox()).length;
    const deadLettersBefore = stack.queue.deadLetters.length;
    expect((await manager.post(`/api/letters/${letter.id}/redistribute`)).status).toBe(202);
    await stack.queue.idle();

    // Every attempt found the bytes changed; none emailed anyone.
    expect(await stack.outbox()).toHaveLength(outboxBefore);
    expect(messagesTo(await stack.outbox(), { email: rejected, council })).toHaveLength(0);
    const after = await read(letter.id);
    expect(after.status).toBe('rendered');
    expect(after.pdf).toEqual(failed.pdf);
    // The last attempt gave the recipient up, visibly, rather than leave it pending behind a dead letter.
    expect(after.deliveries.dfe).toMatchObject({ state: 'failed', lastError: expect.stringContaining('does not match its recorded SHA-256') });
    expect(countOf(actions(after), 'delivery-deferred')).toBeGreaterThanOrEqual(1);
    expect(stack.queue.deadLetters.length).toBe(deadLettersBefore);
    // The other two recipients kept their one copy, sent before the archive changed.
    for (const address of kept) expect(messagesTo(await stack.outbox(), address)).toHaveLength(1);
  });

  it('renders after Chromium is killed mid-render', async () => {
    const { letter, addresses } = await letterFor('chromiumcrash');
    const killedBefore = killedBrowsers.length;
    crashDuringNextRender = true;

    await approve(manager, letter);
    await stack.queue.idle();

    expect(killedBrowsers.length).toBe(killedBefore + 1);
    const killed = killedBrowsers.at(-1)!;
    const after = await read(letter.id);
    expect(after.status).toBe('distributed');
    expect(countOf(actions(after), 'rendered')).toBe(1);
    expect(stack.queue.deadLetters).toEqual([]);
    const relaunched = await browser.browserPid();
    expect(relaunched).toEqual(expect.any(Number));
    expect(relaunched).not.toBe(killed);
    expect(sha256(await archivedObject(stack, after.pdf.key))).toBe(after.pdf.sha256);
    await expectOneEmailEach(addresses, after.pdf.sha256);
  });

  it('sends nothing more when a distribute job is delivered again after distribution', async () => {
    const { letter, addresses } = await letterFor('redelivered');
    await approve(manager, letter);
    await stack.queue.idle();
    const distributed = await read(letter.id);
    expect(distributed.status).toBe('distributed');
    const emails = (await stack.outbox()).length;

    await Promise.all([1, 2, 3].map(() => stack.queue.enqueue('distribute', { letterId: letter.id })));
    await stack.queue.enqueue('render', { letterId: letter.id });
    await stack.queue.idle();

    expect(await stack.outbox()).toHaveLength(emails);
    const after = await read(letter.id);
    expect(after.version).toBe(distributed.version);
    expect(after.pdf).toEqual(distributed.pdf);
    await expectOneEmailEach(addresses, after.pdf.sha256);
  });

  it('renders and sends once when two render jobs for a letter run at the same time', async () => {
    const { letter, addresses } = await letterFor('tworenders');
    const rendersBefore = renders;

    await approve(manager, letter);
    await stack.queue.enqueue('render', { letterId: letter.id });
    await stack.queue.idle();

    const after = await read(letter.id);
    expect(after.status).toBe('distributed');
    expect(countOf(actions(after), 'rendered')).toBe(1);
    expect(countOf(actions(after), 'delivery-sent')).toBe(3);
    expect(stack.queue.deadLetters).toEqual([]);
    expect(renders - rendersBefore).toBeGreaterThanOrEqual(1);
    // Whichever render wrote last, the archive holds the bytes the letter records.
    expect(sha256(await archivedObject(stack, after.pdf.key))).toBe(after.pdf.sha256);
    const manifest = JSON.parse((await archivedObject(stack, after.pdf.key.replace('letter.pdf', 'manifest.json'))).toString('utf8'));
    expect(manifest.pdf.sha256).toBe(after.pdf.sha256);
    await expectOneEmailEach(addresses, after.pdf.sha256);
  });

  it('leaves a recipient whose worker vanished mid-send visibly failed once its job runs out of retries', async () => {
    const { letter, recipients, council } = await letterFor('vanished');
    let release!: () => void;
    mailerHang = { address: recipients.chiefExecutive.email, released: new Promise<void>((resolve) => (release = resolve)) };

    const deadLettersBefore = stack.queue.deadLetters.length;
    await approve(manager, letter);
    try {
      // The first job sent to everyone; its record of the chief executive's copy never comes.
      await eventually(async () => {
        const l = await read(letter.id);
        return l.deliveries.director?.state === 'sent' && l.deliveries.dfe?.state === 'sent' && l.deliveries.chiefExecutive?.state === 'sending'
          ? l
          : undefined;
      }, 'the other two recipients to be sent');
      expect(messagesTo(await stack.outbox(), recipients.chiefExecutive.email)).toHaveLength(1);

      // A redelivery finds the claim well inside the stale window (5 minutes by default); it
      // waits, and on its last receive gives the recipient up as failed rather than leave it stuck.
      await stack.queue.enqueue('distribute', { letterId: letter.id });
      const failed = await eventually(async () => {
        const l = await read(letter.id);
        return l.deliveries.chiefExecutive.state === 'failed' ? l : undefined;
      }, 'the vanished send to be given up', 15_000);
      expect(failed.deliveries.chiefExecutive.lastError).toMatch(/^Outcome unknown/);
      expect(failed.status).toBe('rendered');
      expect(messagesTo(await stack.outbox(), recipients.chiefExecutive.email)).toHaveLength(1);
    } finally {
      // The vanished worker is let go, so the queue can drain and the stack stop.
      release();
    }
    await stack.queue.idle();
    // The redelivery ended in a visible failure, not in the dead letters.
    expect(stack.queue.deadLetters.length).toBe(deadLettersBefore);
    // A person who has checked redistributes; that one recipient gets the letter again.
    expect((await manager.post(`/api/letters/${letter.id}/redistribute`)).status).toBe(202);
    await stack.queue.idle();
    const after = await read(letter.id);
    expect(after.status).toBe('distributed');
    expect(messagesTo(await stack.outbox(), recipients.chiefExecutive.email)).toHaveLength(2);
    expect(messagesTo(await stack.outbox(), recipients.director.email)).toHaveLength(1);
    expect(messagesTo(await stack.outbox(), { email: recipients.dfe.email, council })).toHaveLength(1);
  });
});

describe('a worker that dies between sending and recording', () => {
  let stack: TestStack;
  let manager: ApiClient;
  let inspector: ApiClient;
  let hang: { address: string; released: Promise<void> } | undefined;

  beforeAll(async () => {
    stack = await startTestStack({
      env: { STALE_CLAIM_SECONDS: '1' },
      mailEventDelayMs: 300,
      // The worker never records the send: it is stopped once SES has taken the message, as a
      // killed process would be. (Letting it go at the end only lets the queue drain.)
      wrapMailer: (ses: Mailer): Mailer => ({
        async send(email) {
          const messageId = await ses.send(email);
          if (hang && email.to === hang.address) {
            const { released } = hang;
            hang = undefined;
            await released;
            throw new Error('the worker was stopped');
          }
          return messageId;
        },
      }),
    });
    inspector = await stack.as('inspector', 'Simon Rushall');
    manager = await stack.as('manager', 'Mary Manager');
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it('reads delivered with its message id once the delivery event arrives, and is never sent again', async () => {
    const recipients = recipientsFor('diedaftersend');
    const authority = await addCouncil(manager, 'Died After Send Council', recipients);
    const letter = await submittedLetter(inspector, { recipients, authority });
    const dfe = { email: recipients.dfe.email, council: authority.name };
    let release!: () => void;
    hang = { address: recipients.dfe.email, released: new Promise<void>((resolve) => (release = resolve)) };

    await approve(manager, letter);
    try {
      // SES's delivery event names the copy by the message's tags: it resolves the unrecorded send.
      const delivered = await eventually(async () => {
        const l = (await manager.get(`/api/letters/${letter.id}`)).body;
        return l.deliveries.dfe?.state === 'delivered' && l.status === 'distributed' ? l : undefined;
      }, 'the delivery event to settle the unrecorded send');
      const sent = messagesTo(await stack.outbox(), dfe);
      expect(sent).toHaveLength(1);
      expect(delivered.deliveries.dfe.messageId).toBe(sent[0].messageId);
      expect(sent[0].tags).toMatchObject({ 'letter-id': letter.id, recipient: 'dfe', copy: 'letter' });

      // Past the stale window a redelivered job finds nothing to send or give up.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await stack.queue.enqueue('distribute', { letterId: letter.id });
    } finally {
      release();
    }
    await stack.queue.idle();

    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.status).toBe('distributed');
    expect(after.deliveries.dfe).toMatchObject({ state: 'delivered', lastError: null });
    expect(actions(after)).not.toContain('delivery-failed');
    for (const address of addressesOf(recipients, authority.name)) expect(messagesTo(await stack.outbox(), address)).toHaveLength(1);
  });
});

describe('the local stack killed with SIGKILL while letters are in flight', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'letters-kill-'));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child) await killGroup(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * tsx runs the script in a child process of its own; the stack is started as the leader of a
   * process group so that a kill reaches the process doing the work, not just its launcher.
   * (Chromium, talking over a pipe, exits when that process does.)
   */
  async function killGroup(proc: ChildProcess, signal: NodeJS.Signals) {
    try {
      process.kill(-proc.pid!, signal);
    } catch {
      return; // Already gone.
    }
    await eventually(async () => {
      try {
        process.kill(-proc.pid!, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 'the stack process group to exit', 20_000, 20);
  }

  /** Starts `npm start`'s command on the shared data folder and waits until it is healthy. */
  async function start(): Promise<{ process: ChildProcess; url: string }> {
    const started = await startProcess({ dataDir, detached: true, logLevel: 'ERROR' });
    child = started.process;
    await eventually(async () => ((await fetch(`${started.url}/health`)).status === 200 ? true : undefined), 'the stack to be healthy');
    return started;
  }

  const call = async (url: string, token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const tokenFor = async (url: string, role: string, name: string) =>
    ((await (await fetch(`${url}/dev/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role, name }) })).json()) as { token: string }).token;
  const outboxOf = async (url: string) => ((await (await fetch(`${url}/dev/outbox`)).json()) as { messages: OutboxMessage[] }).messages;

  it('ends every letter distributed exactly once per recipient, or visibly failed and redistributable', async () => {
    const first = await start();
    const inspectorToken = await tokenFor(first.url, 'inspector', 'Simon Rushall');
    const managerToken = await tokenFor(first.url, 'manager', 'Mary Manager');

    const letters: { id: string; council: string; recipients: ReturnType<typeof recipientsFor> }[] = [];
    for (const n of [1, 2, 3]) {
      const recipients = recipientsFor(`killed${n}`);
      const name = `Killed Council ${n}`;
      const added = await call(first.url, managerToken, 'PUT', `/api/councils/killed-council-${n}`, {
        name,
        director: recipients.director,
        chiefExecutive: recipients.chiefExecutive,
      });
      expect(added.status).toBe(201);
      const created = await call(first.url, inspectorToken, 'POST', '/api/letters', { ...exampleLetter(), recipients, authority: { name } });
      expect(created.status).toBe(201);
      const submitted = await call(first.url, inspectorToken, 'POST', `/api/letters/${created.body.id}/submit`);
      expect(submitted.status).toBe(200);
      letters.push({ id: created.body.id, council: name, recipients });
    }
    for (const l of letters) {
      const version = (await call(first.url, managerToken, 'GET', `/api/letters/${l.id}`)).body.version;
      expect((await call(first.url, managerToken, 'POST', `/api/letters/${l.id}/approve`, { version })).status).toBe(202);
    }

    // Kill the moment the first email is out: the other letters are still rendering or sending.
    const before = await eventually(async () => {
      const messages = await outboxOf(first.url);
      return messages.length > 0 ? messages : undefined;
    }, 'the first email', 60_000, 10);
    await killGroup(first.process, 'SIGKILL');

    // The same data folder, a new process: letters left between stages are picked up again.
    const second = await start();
    const settled = () =>
      Promise.all(letters.map(async (l) => (await call(second.url, managerToken, 'GET', `/api/letters/${l.id}`)).body));
    // Rendered with every copy sent is not settled: the move to distributed is the write after the last send.
    const isSettled = (l: any) =>
      l.status === 'distributed' ||
      (l.status === 'rendered' &&
        Object.values(l.deliveries).every((d: any) => ['sent', 'delivered', 'failed'].includes(d.state)) &&
        Object.values(l.deliveries).some((d: any) => d.state === 'failed'));
    let final = await eventually(async () => {
      const all = await settled();
      return all.every(isSettled) ? all : undefined;
    }, 'every letter to settle after the restart', 90_000, 200);

    // A recipient caught between sending and recording is settled by SES's event, which the local
    // SES owed and kept across the kill. Only a message the local SES never kept (killed in the
    // instant between taking it and writing it down) is failed, saying so, and redistributable.
    const unknown = new Map<string, string[]>();
    for (const l of final) {
      const roles = Object.entries(l.deliveries)
        .filter(([, d]: [string, any]) => d.state === 'failed')
        .map(([role]) => role);
      for (const role of roles) expect(l.deliveries[role].lastError).toMatch(/^Outcome unknown/);
      if (roles.length) {
        unknown.set(l.id, roles);
        expect((await call(second.url, managerToken, 'POST', `/api/letters/${l.id}/redistribute`)).status).toBe(202);
      }
    }
    if (unknown.size) {
      final = await eventually(async () => {
        const all = await settled();
        return all.every((l) => l.status === 'distributed') ? all : undefined;
      }, 'redistribution', 60_000, 200);
    }

    // The outbox survived the kill: it holds every message sent, across both runs.
    const after = await outboxOf(second.url);
    for (const message of before) expect(after.map((m) => m.messageId)).toContain(message.messageId);
    for (const [i, l] of final.entries()) {
      expect(l.status).toBe('distributed');
      expect(l.pdf.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(countOf(actions(l), 'rendered')).toBe(1);
      for (const role of ['director', 'chiefExecutive', 'dfe'] as const) {
        // Exactly one copy each, the one recorded, with the archived bytes.
        const sent = messagesTo(after, { email: letters[i].recipients[role].email, council: letters[i].council });
        expect(sent).toHaveLength(1);
        expect(sent[0].messageId).toBe(l.deliveries[role].messageId);
        expect(sent[0].attachments.map((a) => a.sha256)).toEqual([l.pdf.sha256]);
      }
    }

    await killGroup(second.process, 'SIGTERM');
  }, 240_000);
});
