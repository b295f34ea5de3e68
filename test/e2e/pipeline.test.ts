import { GetObjectCommand } from '@aws-sdk/client-s3';
import { snsNotification } from '../../lambdas/local/local-mailbox';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Mailer, OutgoingEmail } from '../../lambdas/core/ports';
import { copyTags } from '../../lambdas/adapters/ses/message-tags';
import { createDeliveryEventHandler } from '../../lambdas/handlers/events/record-delivery-event';
import { messagesTo } from '../support/outbox';
import { readPdf } from '../support/pdf-text';
import { recipientsFor, addCouncil } from '../support/pipeline-helpers';
import { type ApiClient, startTestStack, submittedLetter, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
let reader: ApiClient;

/** Runs after SES has taken a message and before the send is recorded, when a test sets it. */
let afterSesAccepts: ((email: OutgoingEmail, messageId: string) => Promise<void>) | undefined;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function archived(key: string): Promise<Buffer> {
  const object = await stack.deps.clients.s3.send(new GetObjectCommand({ Bucket: stack.deps.config.ARCHIVE_BUCKET, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

/** Approves a submitted letter and waits until the stages behind the queue have finished. */
async function approveAndSettle(letter: { id: string; version: number }) {
  const approved = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
  expect(approved.status).toBe(202);
  await stack.queue.idle();
  return (await manager.get(`/api/letters/${letter.id}`)).body;
}

beforeAll(async () => {
  stack = await startTestStack({
    // The events in these tests are sent by hand; the local SES reports on nothing meanwhile.
    mailEventDelayMs: 3_600_000,
    wrapMailer: (ses: Mailer): Mailer => ({
      async send(email) {
        const messageId = await ses.send(email);
        await afterSesAccepts?.(email, messageId);
        return messageId;
      },
    }),
  });
  inspector = await stack.as('inspector', 'Simon Rushall');
  manager = await stack.as('manager', 'Mary Manager');
  reader = await stack.as('reader', 'Rita Records');
});

afterAll(async () => {
  await stack?.destroy();
});

describe('an approved letter', () => {
  let letter: any;
  let outboxBefore: number;

  beforeAll(async () => {
    outboxBefore = (await stack.outbox()).length;
    letter = await approveAndSettle(await submittedLetter(inspector));
  });

  it('is rendered into the archive and distributed', () => {
    expect(letter.status).toBe('distributed');
    expect(letter.pdf).toMatchObject({ pages: 2, key: `letters/durham-county-council/2011/${letter.id}/letter.pdf` });
    expect(letter.history.map((h: any) => h.action)).toEqual(
      expect.arrayContaining(['approved', 'rendered', 'delivery-sent', 'distributed']),
    );
  });

  it('keeps the PDF with its SHA-256, a manifest and the accessible HTML twin', async () => {
    const pdf = await archived(letter.pdf.key);
    expect(sha256(pdf)).toBe(letter.pdf.sha256);
    expect(pdf.length).toBe(letter.pdf.bytes);

    const manifest = JSON.parse((await archived(letter.pdf.key.replace('letter.pdf', 'manifest.json'))).toString('utf8'));
    expect(manifest).toMatchObject({
      letterId: letter.id,
      version: letter.approval.version,
      templateId: 'ucra-annual',
      approvedBy: { sub: expect.stringMatching(/^local:/), name: 'Mary Manager' },
      pdf: { sha256: letter.pdf.sha256, pages: 2, bytes: letter.pdf.bytes },
    });
    expect(manifest.templateVersion).toMatch(/\S+/);
    expect(manifest.renderer).toMatch(/^HeadlessChrome\/\d+/);
    expect(manifest.fonts).toMatch(/^fonts-[0-9a-f]{12}$/);

    const html = (await archived(letter.pdf.key.replace('letter.pdf', 'letter.html'))).toString('utf8');
    expect(sha256(Buffer.from(html))).toBe(manifest.html.sha256);
    expect(html).toContain('<html lang="en-GB"');
    expect(html).toContain('Areas for development');
  });

  it('reads like the example letter', async () => {
    const text = await readPdf(await archived(letter.pdf.key));
    const words = text.text.replace(/\s+/g, ' ');
    expect(words).toContain('Dear Mr Williams');
    expect(words).toContain('Annual unannounced inspection of contact, referral and assessment arrangements within Durham County Council children');
    expect(words).toContain('Copy: George Garlick, Chief Executive, Durham County Council');
  });

  it('emails the three statutory recipients, once each, with the archived bytes attached', async () => {
    const messages = (await stack.outbox()).slice(outboxBefore);
    expect(messages).toHaveLength(3);
    for (const address of ['david.williams@durham.example', 'george.garlick@durham.example', 'andrew.spencer@education.example']) {
      expect(messagesTo(messages, address, { letterId: letter.id, copy: 'letter' })).toHaveLength(1);
    }
    for (const message of messages) {
      expect(message.subject).toBe('Inspection outcome letter: Durham County Council, 9 March 2011');
      expect(message.attachments).toEqual([
        {
          filename: 'inspection-letter-durham-county-council-2011-03-09.pdf',
          contentType: 'application/pdf',
          size: letter.pdf.bytes,
          sha256: letter.pdf.sha256,
        },
      ]);
    }
    for (const role of ['director', 'chiefExecutive', 'dfe']) {
      const delivery = letter.deliveries[role];
      // The local SES reports each delivery a moment after it accepts the message.
      expect(['sent', 'delivered']).toContain(delivery.state);
      expect(messages.map((m) => m.messageId)).toContain(delivery.messageId);
    }
  });

  it('sends nothing more when the jobs are delivered again', async () => {
    const count = (await stack.outbox()).length;
    await stack.queue.enqueue('render', { letterId: letter.id });
    await stack.queue.enqueue('distribute', { letterId: letter.id });
    await stack.queue.enqueue('distribute', { letterId: letter.id });
    await stack.queue.idle();
    expect(await stack.outbox()).toHaveLength(count);
    const after = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(after.pdf).toEqual(letter.pdf);
    expect(after.history.filter((h: any) => h.action === 'rendered')).toHaveLength(1);
  });

  it('is retrieved through a presigned URL that expires within five minutes, and each retrieval is recorded', async () => {
    const response = await reader.get(`/api/letters/${letter.id}/pdf`);
    expect(response.status).toBe(302);
    const url = new URL(response.headers.get('location')!);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(letter.pdf.sha256);

    const log = (await manager.get(`/api/letters/${letter.id}/access`)).body.items;
    expect(log).toContainEqual(expect.objectContaining({ action: 'pdf-retrieved', by: expect.objectContaining({ name: 'Rita Records' }), role: 'reader' }));
  });

  it('gives the same link as JSON to a client that asks for JSON', async () => {
    const response = await reader.get(`/api/letters/${letter.id}/pdf`, { Accept: 'application/json' });
    expect(response.status).toBe(200);
    expect(response.body.expiresInSeconds).toBeLessThanOrEqual(300);
    const download = await fetch(response.body.url);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(letter.pdf.sha256);
  });

  it('refuses previews once approved', async () => {
    expect((await manager.get(`/api/letters/${letter.id}/preview`)).status).toBe(409);
  });

  it('is re-rendered with the same text and pages', async () => {
    const first = await readPdf(await archived(letter.pdf.key));
    const snapshot = (await stack.deps.letters.get(letter.id))!.approval!.snapshot;
    const again = await stack.deps.renderer.render(stack.deps.template.render(snapshot), stack.deps.template.pdfMetadata(snapshot));
    const second = await readPdf(again.pdf);
    expect(second.pageText).toEqual(first.pageText);
    expect(again.pages).toBe(letter.pdf.pages);
  });
});

describe('previews', () => {
  it('shows a draft as HTML and as a DRAFT-watermarked PDF from the same renderer', async () => {
    const letter = await inspector.createLetter();
    const html = await manager.get(`/api/letters/${letter.id}/preview`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('Durham County Council');
    expect(html.text).toContain('DRAFT');

    const pdf = await fetch(`${stack.url}/api/letters/${letter.id}/preview?format=pdf`, {
      headers: { Authorization: `Bearer ${inspector.token}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const extracted = await readPdf(new Uint8Array(await pdf.arrayBuffer()));
    expect(extracted.pages).toBe(2);
    for (const page of extracted.pageText) expect(page).toContain('DRAFT');
    expect((await reader.get(`/api/letters/${letter.id}/preview`)).status).toBe(403);
  });

  it('answers staff 409 for the archived PDF of a letter not yet rendered, and a reader 404, as for an unknown one', async () => {
    const letter = await inspector.createLetter();
    const staff = await manager.get(`/api/letters/${letter.id}/pdf`);
    expect(staff.status).toBe(409);
    expect(staff.body.detail).toBe('The letter is draft; only a rendered, distributed, superseded or withdrawn letter can be retrieved.');
    expect((await reader.get(`/api/letters/${letter.id}/pdf`)).status).toBe(404);
    expect((await reader.get(`/api/letters/${letter.id}`)).status).toBe(404);
    expect((await reader.get('/api/letters/01ARZ3NDEKTSV4RRFFQ69G5FAV/pdf')).status).toBe(404);
    // Nothing was recorded: the reader learnt nothing and retrieved nothing.
    const history = (await manager.get(`/api/letters/${letter.id}`)).body.history;
    expect(history.map((h: any) => h.action)).toEqual(['created']);
  });
});

describe('delivery events from SES', () => {
  const tagged = (copy: OutgoingEmail['copy']) => Object.fromEntries(copyTags(copy).map((t) => [t.Name, [t.Value]]));

  it('applies an event that overtakes the record of its message id, found by the tags the message carries', async () => {
    const recipients = recipientsFor('early event');
    const handle = createDeliveryEventHandler(stack.deps);
    const seenBeforeRecord: any[] = [];
    // SES can report a delivery before the worker has recorded the message id: the send and its
    // record are two writes. The event is handed to the events handler in between.
    afterSesAccepts = async (email, messageId) => {
      if (email.to !== recipients.director.email) return;
      afterSesAccepts = undefined;
      const at = new Date().toISOString();
      await handle(snsNotification({ eventType: 'Delivery', mail: { messageId, tags: tagged(email.copy) }, delivery: { timestamp: at } }));
      seenBeforeRecord.push((await manager.get(`/api/letters/${email.copy.letterId}`)).body);
    };
    try {
      const authority = await addCouncil(manager, 'Early Event Council', recipients);
      const letter = await approveAndSettle(await submittedLetter(inspector, { recipients, authority }));

      // The event named its copy by its tags, so it told the outcome before the id was recorded.
      expect(seenBeforeRecord).toHaveLength(1);
      expect(seenBeforeRecord[0].deliveries.director.state).toBe('delivered');
      // The worker's record that followed did not take it back to sent.
      expect(letter.deliveries.director.state).toBe('delivered');
      expect(letter.deliveries.director.messageId).toBe(seenBeforeRecord[0].deliveries.director.messageId);
      expect(letter.history.filter((h: any) => h.action === 'delivery-delivered' && h.detail.startsWith('director') && h.by.sub === 'system:mail')).toHaveLength(1);
    } finally {
      afterSesAccepts = undefined;
    }
  });

  it('ignores an event about a message this service did not tag', async () => {
    const handle = createDeliveryEventHandler(stack.deps);
    const letter = await approveAndSettle(await submittedLetter(inspector, { recipients: recipientsFor('untagged') }));
    const before = (await manager.get(`/api/letters/${letter.id}`)).body;
    await handle(snsNotification({ eventType: 'Bounce', mail: { messageId: before.deliveries.dfe.messageId }, bounce: { bounceType: 'Permanent' } }));
    expect((await manager.get(`/api/letters/${letter.id}`)).body.deliveries.dfe.state).not.toBe('bounced');
  });
});
