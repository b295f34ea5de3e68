import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDeliveryEventHandler } from '../../lambdas/handlers/events/record-delivery-event';
import { sesMailTags, snsNotification } from '../../lambdas/local/local-mailbox';
import type { OutboxMessage } from '../../lambdas/local/local-stack';
import { readPdf } from '../support/pdf-text';
import { messagesTo } from '../support/outbox';
import { approve, archivedObject, eventually, recipientsFor } from '../support/pipeline-helpers';
import { type ApiClient, startTestStack, submittedLetter, type TestStack } from '../support/stack';

/**
 * The lifecycle after "sent", on the local stack with its SES mailbox simulator: corrections,
 * withdrawals, bounces and their fixes, and delivery events applied in their own order.
 */

let stack: TestStack;
let inspector: ApiClient;
let mary: ApiClient;
let mark: ApiClient;
let reader: ApiClient;

beforeAll(async () => {
  stack = await startTestStack({ mailEventDelayMs: 200 });
  inspector = await stack.as('inspector', 'Simon Rushall');
  mary = await stack.as('manager', 'Mary Manager');
  mark = await stack.as('manager', 'Mark Manager');
  reader = await stack.as('reader', 'Rita Records');
});

afterAll(async () => {
  await stack?.destroy();
});

const read = async (id: string) => (await mary.get(`/api/letters/${id}`)).body;
const actionsOf = (letter: any) => letter.history.map((h: any) => h.action) as string[];
const ofLetter = (outbox: OutboxMessage[], id: string) => outbox.filter((m) => m.tags['letter-id'] === id);

/** Takes a submitted letter through approval by a manager to distributed, every copy reported on. */
async function distributed(overrides: Record<string, unknown>, approver = mary) {
  const letter = await submittedLetter(inspector, overrides);
  await approve(approver, letter);
  return eventually(async () => {
    const l = await read(letter.id);
    return l.status === 'distributed' ? l : undefined;
  }, 'the letter to be distributed');
}

describe('a correction of a distributed letter', () => {
  let original: any;
  let correction: any;
  let outboxBefore: OutboxMessage[];

  beforeAll(async () => {
    original = await distributed({ recipients: recipientsFor('corrected'), authority: { name: 'Corrected Council' } });
    outboxBefore = await stack.outbox();
  });

  it('starts as a draft with the same content that names the letter it supersedes: one at a time', async () => {
    // Two requests at once (a double click): the write's condition lets exactly one through.
    const start = () => inspector.post(`/api/letters/${original.id}/correction`);
    const both = await Promise.all([start(), start()]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const created = both.find((r) => r.status === 201)!;
    const refused = both.find((r) => r.status === 409)!;
    correction = created.body;
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.detail).toContain(`already has a correction open: ${correction.id}`);
    // Later too, until that correction is sent; no second draft was made.
    const again = await inspector.post(`/api/letters/${original.id}/correction`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(correction.id);
    const drafts = (await mary.get('/api/letters?authority=Corrected%20Council&status=draft')).body.items.map((i: any) => i.id);
    expect(drafts).toEqual([correction.id]);
    expect(created.headers.get('location')).toBe(`/api/letters/${correction.id}`);
    expect(correction).toMatchObject({ status: 'draft', supersedes: { id: original.id, letterDate: '2011-03-09' }, summary: original.summary });
    expect(correction.findings.map((f: any) => f.text)).toEqual(original.findings.map((f: any) => f.text));
    expect(actionsOf(await read(original.id))).toContain('corrected');
    // A reader cannot start one; nor can anyone on a letter not yet distributed.
    expect((await reader.post(`/api/letters/${original.id}/correction`)).status).toBe(403);
    expect((await inspector.post(`/api/letters/${correction.id}/correction`)).status).toBe(409);
  });

  it('goes through the same review, and once distributed supersedes the original', async () => {
    const edited = await inspector.patch(`/api/letters/${correction.id}`, { summary: 'The inspection identified corrected areas of strength.' }, { 'If-Match': `"${correction.version}"` });
    expect(edited.status).toBe(200);
    const submitted = await inspector.post(`/api/letters/${correction.id}/submit`);
    expect(submitted.status).toBe(200);
    await approve(mark, submitted.body);
    const done = await eventually(async () => {
      const [l, o] = [await read(correction.id), await read(original.id)];
      return l.status === 'distributed' && o.status === 'superseded' ? { l, o } : undefined;
    }, 'the correction to be distributed and the original superseded');

    expect(done.o.supersededBy).toEqual({ id: correction.id });
    expect(done.l.supersedes).toMatchObject({ id: original.id });
    // Both stay archived and retrievable.
    expect((await reader.get(`/api/letters/${original.id}`)).status).toBe(200);
    expect((await reader.get(`/api/letters/${original.id}/pdf`)).status).toBe(302);
  });

  it("says in the corrected letter what it replaces, and in its covering email that it is a correction", async () => {
    const l = await read(correction.id);
    const text = (await readPdf(await archivedObject(stack, l.pdf.key))).text.replace(/\s+/g, ' ');
    expect(text).toContain(`This letter replaces the letter of 9 March 2011 (reference ${original.id}), which should no longer be relied on.`);
    expect(text).toContain('The inspection identified corrected areas of strength.');

    const outbox = await stack.outbox();
    const added = outbox.slice(outboxBefore.length);
    expect(ofLetter(added, correction.id)).toHaveLength(3);
    for (const m of ofLetter(added, correction.id)) {
      expect(m.subject).toBe('Correction: Inspection outcome letter: Corrected Council, 9 March 2011');
      expect(m.attachments.map((a) => a.sha256)).toEqual([l.pdf.sha256]);
    }
    // None of the original three is sent again.
    expect(ofLetter(added, original.id)).toHaveLength(0);
    expect(ofLetter(outbox, original.id)).toHaveLength(3);
  });

  it('leaves the superseded letter out of searches unless its status is asked for', async () => {
    // The search indexes follow the letter's item (a DynamoDB index is eventually consistent).
    const byCouncil = await eventually(async () => {
      const ids = (await mary.get('/api/letters?authority=Corrected%20Council')).body.items.map((i: any) => i.id);
      return ids.length === 1 ? ids : undefined;
    }, 'the search to show one current letter');
    expect(byCouncil).toEqual([correction.id]);
    const superseded = (await mary.get('/api/letters?authority=Corrected%20Council&status=superseded')).body.items;
    expect(superseded.map((i: any) => i.id)).toEqual([original.id]);
    expect(superseded[0].supersededBy).toEqual({ id: correction.id });
    expect((await reader.get('/api/letters?status=superseded')).body.items.map((i: any) => i.id)).toContain(original.id);
    expect((await reader.get('/api/letters')).body.items.map((i: any) => i.id)).not.toContain(original.id);
  });

  it('corrects a sent correction, not the letter it replaced', async () => {
    const ofOriginal = await inspector.post(`/api/letters/${original.id}/correction`);
    expect(ofOriginal.status).toBe(409);
    expect(ofOriginal.body.detail).toContain('superseded');
    const ofCorrection = await inspector.post(`/api/letters/${correction.id}/correction`);
    expect(ofCorrection.status).toBe(201);
    expect(ofCorrection.body.supersedes).toMatchObject({ id: correction.id });
  });
});

describe('a copy that bounces', () => {
  let letter: any;
  const recipients = recipientsFor('bounced');
  recipients.director.email = 'bounce@simulator.amazonses.com';
  const fixed = 'director.new.bounced@durham.example';

  beforeAll(async () => {
    const submitted = await submittedLetter(inspector, { recipients, authority: { name: 'Bounced Council' } });
    await approve(mary, submitted);
    letter = await eventually(async () => {
      const l = await read(submitted.id);
      const others = l.deliveries.chiefExecutive?.state === 'delivered' && l.deliveries.dfe?.state === 'delivered';
      // Distributed too: the stage's own last write may land after the mail events.
      return l.status === 'distributed' && l.deliveries.director?.state === 'bounced' && others ? l : undefined;
    }, 'the letter to be distributed, the director to bounce and the others to be delivered');
  });

  it('leaves the recipient bounced, the others delivered, and the letter found by ?delivery=problem', async () => {
    expect(letter.deliveries.director).toMatchObject({ state: 'bounced', email: 'bounce@simulator.amazonses.com', lastError: 'General: smtp; 550 5.1.1 user unknown' });
    expect(letter.deliveryProblem).toBe(true);
    const problems = (await mary.get('/api/letters?delivery=problem')).body.items.map((i: any) => i.id);
    expect(problems).toContain(letter.id);
    const fine = (await mary.get('/api/letters?authority=Corrected%20Council&delivery=problem')).body.items;
    expect(fine).toEqual([]);
    expect((await mary.get('/api/letters?delivery=trouble')).status).toBe(422);
    // Nothing to send again until the address is fixed.
    expect((await mark.post(`/api/letters/${letter.id}/redistribute`)).status).toBe(409);
  });

  it("refuses to change the DfE's address, a copy that arrived, and bad input, changing nothing", async () => {
    const dfe = await mary.patch(`/api/letters/${letter.id}/deliveries/dfe`, { email: 'someone@education.example', reason: 'Moved.' });
    expect(dfe.status).toBe(422);
    expect(dfe.body.errors).toEqual([expect.objectContaining({ field: 'role' })]);
    expect((await mary.patch(`/api/letters/${letter.id}/deliveries/chiefExecutive`, { email: 'ce@durham.example', reason: 'Moved.' })).status).toBe(409);
    const bad = await mary.patch(`/api/letters/${letter.id}/deliveries/director`, { email: 'not an email', reason: '' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['email', 'reason']);
    expect((await mary.patch(`/api/letters/${letter.id}/deliveries/nobody`, { email: fixed, reason: 'x' })).status).toBe(404);
    expect((await inspector.patch(`/api/letters/${letter.id}/deliveries/director`, { email: fixed, reason: 'x' })).status).toBe(403);
    expect((await read(letter.id)).version).toBe(letter.version);
  });

  it('is sent to a fixed address by another manager only, exactly once, with the history saying who and why', async () => {
    const fix = await mary.patch(`/api/letters/${letter.id}/deliveries/director`, { email: fixed, reason: 'The director changed their address.' });
    expect(fix.status).toBe(200);
    // The approved snapshot stays as it was; the copy records the new address beside the old.
    expect(fix.body.recipients.director.email).toBe('bounce@simulator.amazonses.com');
    expect(fix.body.deliveries.director).toMatchObject({
      state: 'bounced',
      email: 'bounce@simulator.amazonses.com',
      addressFix: { from: 'bounce@simulator.amazonses.com', email: fixed, reason: 'The director changed their address.', by: { name: 'Mary Manager' } },
    });

    const outboxBefore = await stack.outbox();
    const same = await mary.post(`/api/letters/${letter.id}/redistribute`);
    expect(same.status).toBe(403);
    expect(same.body.detail).toMatch(/Another manager must redistribute it/);

    expect((await mark.post(`/api/letters/${letter.id}/redistribute`)).status).toBe(202);
    const after = await eventually(async () => {
      const l = await read(letter.id);
      return l.deliveries.director.state === 'delivered' ? l : undefined;
    }, 'the fixed copy to be delivered');
    const added = (await stack.outbox()).slice(outboxBefore.length);
    expect(added.map((m) => m.to)).toEqual([[fixed]]);
    expect(after.deliveries.director).toMatchObject({ email: fixed, messageId: added[0].messageId });
    expect(after.deliveryProblem).toBe(false);
    expect((await mary.get('/api/letters?delivery=problem')).body.items.map((i: any) => i.id)).not.toContain(letter.id);

    const fixedEntry = after.history.find((h: any) => h.action === 'address-fixed');
    expect(fixedEntry).toMatchObject({ by: { name: 'Mary Manager' }, detail: `director: bounce@simulator.amazonses.com → ${fixed}: The director changed their address.` });
    expect(after.history.find((h: any) => h.action === 'redistributed')).toMatchObject({ by: { name: 'Mark Manager' }, detail: `director to ${fixed}` });
  });

  it('does not let an event about the copy sent before the fix change the new send', async () => {
    const before = await read(letter.id);
    const [oldBounce] = messagesTo(await stack.outbox(), 'bounce@simulator.amazonses.com', { letterId: letter.id });
    const handle = createDeliveryEventHandler(stack.deps);
    await handle(sesEvent('Bounce', oldBounce, new Date().toISOString()));
    const after = await read(letter.id);
    expect(after.deliveries.director).toMatchObject({ state: 'delivered', email: fixed });
    expect(after.version).toBe(before.version);
  });
});

describe('events that arrive out of order', () => {
  it('leaves a copy complained when an older delivery follows the complaint', async () => {
    const l = await distributed({ recipients: recipientsFor('out of order'), authority: { name: 'Out Of Order Council' } });
    const message = messagesTo(await stack.outbox(), l.deliveries.chiefExecutive.email)[0];
    await eventually(async () => ((await read(l.id)).deliveries.chiefExecutive.state === 'delivered' ? true : undefined), 'the first delivery event');
    const handle = createDeliveryEventHandler(stack.deps);
    const now = Date.now();
    await handle(sesEvent('Complaint', message, new Date(now).toISOString()));
    await handle(sesEvent('Delivery', message, new Date(now - 60_000).toISOString()));
    const after = await read(l.id);
    expect(after.deliveries.chiefExecutive).toMatchObject({ state: 'complained', eventAt: new Date(now).toISOString() });
    expect(after.deliveryProblem).toBe(true);
    // A later bounce does override an earlier delivery.
    await handle(sesEvent('Bounce', message, new Date(now + 1_000).toISOString()));
    expect((await read(l.id)).deliveries.chiefExecutive.state).toBe('bounced');
  });

  it('turns complaint@ and success@ simulator addresses into what SES reports', async () => {
    const recipients = recipientsFor('simulator');
    recipients.director.email = 'success@simulator.amazonses.com';
    recipients.chiefExecutive.email = 'complaint@simulator.amazonses.com';
    const submitted = await submittedLetter(inspector, { recipients, authority: { name: 'Simulator Council' } });
    await approve(mary, submitted);
    const l = await eventually(async () => {
      const now = await read(submitted.id);
      return now.deliveries.director?.state === 'delivered' && now.deliveries.chiefExecutive?.state === 'complained' ? now : undefined;
    }, 'the simulator events');
    expect(l.deliveries.chiefExecutive.lastError).toBe('abuse');
    // The outbox notes an event once the events handler has taken it, a moment after the letter shows it.
    const message = await eventually(async () => {
      const found = (await stack.outbox()).find((m) => m.messageId === l.deliveries.chiefExecutive.messageId);
      return found?.event?.type === 'Complaint' ? found : undefined;
    }, 'the outbox to show the complaint');
    expect(message.event).toMatchObject({ type: 'Complaint' });
  });
});

describe('a withdrawal', () => {
  it('marks the letter withdrawn and sends one notice per recipient, even when the job runs twice', async () => {
    const recipients = recipientsFor('withdrawn');
    const l = await distributed({ recipients, authority: { name: 'Withdrawn Council' } });
    const outboxBefore = (await stack.outbox()).length;
    expect((await inspector.post(`/api/letters/${l.id}/withdraw`, { reason: 'Sent in error.' })).status).toBe(403);
    expect((await mary.post(`/api/letters/${l.id}/withdraw`, {})).status).toBe(422);

    const withdrawn = await mary.post(`/api/letters/${l.id}/withdraw`, { reason: 'Sent in error.' });
    expect(withdrawn.status).toBe(202);
    expect(withdrawn.body).toMatchObject({ status: 'withdrawn', withdrawal: { reason: 'Sent in error.', by: { name: 'Mary Manager' } } });
    await stack.queue.enqueue('distribute', { letterId: l.id });
    await stack.queue.enqueue('distribute', { letterId: l.id });
    await stack.queue.idle();

    const notices = (await stack.outbox()).slice(outboxBefore);
    expect(notices).toHaveLength(3);
    for (const address of [recipients.director.email, recipients.chiefExecutive.email, recipients.dfe.email]) {
      expect(messagesTo(notices, address, { letterId: l.id, copy: 'notice' })).toHaveLength(1);
    }
    for (const m of notices) {
      expect(m.subject).toBe('Withdrawn: Inspection outcome letter: Withdrawn Council, 9 March 2011');
      expect(m.attachments).toEqual([]);
      expect(m.tags).toMatchObject({ 'letter-id': l.id, copy: 'notice' });
    }
    const after = await read(l.id);
    for (const role of ['director', 'chiefExecutive', 'dfe']) expect(['sent', 'delivered']).toContain(after.notices[role].state);
    // The archive stays as it was, and the letter appears in searches only when asked for.
    expect(after.pdf).toEqual(l.pdf);
    expect((await reader.get(`/api/letters/${l.id}/pdf`)).status).toBe(302);
    expect((await mary.get('/api/letters?authority=Withdrawn%20Council')).body.items).toEqual([]);
    expect((await mary.get('/api/letters?authority=Withdrawn%20Council&status=withdrawn')).body.items.map((i: any) => i.id)).toEqual([l.id]);
    // Nothing more can be done to it.
    expect((await mary.post(`/api/letters/${l.id}/withdraw`, { reason: 'Again.' })).status).toBe(409);
    expect((await inspector.post(`/api/letters/${l.id}/correction`)).status).toBe(409);
  });

  it('of a letter with a correction open leaves that correction unable to go out', async () => {
    const l = await distributed({ recipients: recipientsFor('withdrawn-first'), authority: { name: 'Withdrawn First Council' } });
    const correction = (await inspector.post(`/api/letters/${l.id}/correction`)).body;
    const submitted = await inspector.post(`/api/letters/${correction.id}/submit`);
    expect(submitted.status).toBe(200);
    expect((await mary.post(`/api/letters/${l.id}/withdraw`, { reason: 'Sent in error.' })).status).toBe(202);
    const outboxBefore = (await stack.outbox()).length;

    const approved = await mark.post(`/api/letters/${correction.id}/approve`, { version: submitted.body.version });
    expect(approved.status).toBe(409);
    expect(approved.body.detail).toContain('no longer distributed (it was withdrawn)');
    await stack.queue.idle();
    expect((await read(correction.id)).status).toBe('submitted');
    expect((await stack.outbox()).slice(outboxBefore).filter((m) => m.tags['letter-id'] === correction.id)).toEqual([]);
  });

  it('is refused once a correction of the letter was approved: the correction goes out in its place', async () => {
    const l = await distributed({ recipients: recipientsFor('corrected-first'), authority: { name: 'Corrected First Council' } });
    const correction = (await inspector.post(`/api/letters/${l.id}/correction`)).body;
    const submitted = await inspector.post(`/api/letters/${correction.id}/submit`);
    expect((await mark.post(`/api/letters/${correction.id}/approve`, { version: submitted.body.version })).status).toBe(202);

    const withdrawn = await mary.post(`/api/letters/${l.id}/withdraw`, { reason: 'Sent in error.' });
    expect(withdrawn.status).toBe(409);
    expect(withdrawn.body.detail).toContain(`A correction of this letter, ${correction.id}, was approved`);
    const replaced = await eventually(async () => {
      const now = await read(l.id);
      return now.status === 'superseded' ? now : undefined;
    }, 'the correction to replace the letter');
    expect(replaced.withdrawal).toBeUndefined();
    expect(actionsOf(replaced)).toContain('correction-approved');
  });
});

/** The SNS notification SES publishes for an event about a message in the outbox, with its tags. */
function sesEvent(type: 'Delivery' | 'Bounce' | 'Complaint', message: OutboxMessage, at: string): SNSEvent {
  const detail =
    type === 'Delivery'
      ? { delivery: { timestamp: at, recipients: message.to } }
      : type === 'Bounce'
        ? { bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: at, bouncedRecipients: [{ emailAddress: message.to[0] }] } }
        : { complaint: { timestamp: at, complaintFeedbackType: 'abuse', complainedRecipients: [{ emailAddress: message.to[0] }] } };
  const body = {
    eventType: type,
    mail: { messageId: message.messageId, timestamp: at, destination: message.to, tags: sesMailTags(message.tags) },
    ...detail,
  };
  return snsNotification(body);
}
