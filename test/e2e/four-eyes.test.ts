import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConditionNotMetError } from '../../lambdas/core/ports';
import { guard } from '../../lambdas/core/transitions';
import { approve } from '../support/pipeline-helpers';
import { type ApiClient, exampleLetter, startTestStack, submittedLetter, type TestStack } from '../support/stack';

/**
 * Four eyes against a single insider: nobody approves a letter they wrote, however they go about
 * it, and nobody changes a draft that is not theirs to change. People are told apart by the
 * subject id of their token, never by the name it shows.
 */

let stack: TestStack;
let inspector: ApiClient;
let otherInspector: ApiClient;
let mary: ApiClient;
let martin: ApiClient;
let reader: ApiClient;

/** The subject id a token carries: what every record of its holder's actions must store. */
const subOf = (client: ApiClient) => JSON.parse(Buffer.from(client.token!.split('.')[1], 'base64url').toString('utf8')).sub as string;

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector', 'Ivy Inspector');
  otherInspector = await stack.as('inspector', 'Oscar Other');
  mary = await stack.as('manager', 'Mary Manager');
  martin = await stack.as('manager', 'Martin Manager');
  reader = await stack.as('reader', 'Rhys Reader');
});

afterAll(async () => {
  await stack?.destroy();
});

async function expectFourEyesRefusal(response: { status: number; headers: Headers; body: any }, says: RegExp) {
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body.detail).toMatch(says);
  expect(response.body.detail).toMatch(/Another manager must approve it/);
}

describe('four eyes', () => {
  it("refuses a manager their own letter, and lets another manager approve it; the same manager may repeat their approval", async () => {
    const letter = await submittedLetter(mary);
    const refused = await mary.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    await expectFourEyesRefusal(refused, /You created this letter/);
    const unchanged = (await mary.get(`/api/letters/${letter.id}`)).body;
    expect(unchanged).toMatchObject({ status: 'submitted', version: letter.version });

    const first = await martin.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    const again = await martin.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    expect([first.status, again.status]).toEqual([202, 202]);
    await stack.queue.idle();
    const done = (await martin.get(`/api/letters/${letter.id}`)).body;
    expect(done.status).toBe('distributed');
    expect(done.approval.by).toEqual({ sub: subOf(martin), name: 'Martin Manager' });
    expect(done.history.filter((h: any) => h.action === 'approved')).toHaveLength(1);
  });

  it('refuses a manager who returned a letter, rewrote it and resubmitted it; another manager may approve it', async () => {
    const letter = await submittedLetter(inspector);
    expect((await mary.post(`/api/letters/${letter.id}/return`, { comment: 'The summary undersells it.' })).status).toBe(200);
    const draft = (await mary.get(`/api/letters/${letter.id}`)).body;
    const rewritten = await mary.patch(`/api/letters/${letter.id}`, { summary: 'A rewritten summary.' }, { 'If-Match': String(draft.version) });
    expect(rewritten.status).toBe(200);
    const resubmitted = await mary.post(`/api/letters/${letter.id}/submit`);
    expect(resubmitted.status).toBe(200);

    await expectFourEyesRefusal(await mary.post(`/api/letters/${letter.id}/approve`, { version: resubmitted.body.version }), /You changed this letter/);
    // Returning it changed nothing in it: any manager may still return it, its authors included.
    expect((await mary.post(`/api/letters/${letter.id}/return`, { comment: 'One more look.' })).status).toBe(200);
    const again = (await inspector.post(`/api/letters/${letter.id}/submit`)).body;
    await expectFourEyesRefusal(await mary.post(`/api/letters/${letter.id}/approve`, { version: again.version }), /You changed this letter/);
    expect((await martin.post(`/api/letters/${letter.id}/approve`, { version: again.version })).status).toBe(202);
  });

  it('refuses a manager who only added a finding, or only submitted the letter', async () => {
    const added = await inspector.createLetter();
    expect((await mary.post(`/api/letters/${added.id}/findings`, { category: 'strength', text: 'One more strength.' })).status).toBe(201);
    const submitted = (await inspector.post(`/api/letters/${added.id}/submit`)).body;
    await expectFourEyesRefusal(await mary.post(`/api/letters/${added.id}/approve`, { version: submitted.version }), /You changed this letter/);

    const handed = await inspector.createLetter();
    const bySubmitter = (await mary.post(`/api/letters/${handed.id}/submit`)).body;
    expect(bySubmitter.status).toBe('submitted');
    await expectFourEyesRefusal(await mary.post(`/api/letters/${handed.id}/approve`, { version: bySubmitter.version }), /or submitted it/);
  });

  it('knows a person by their subject id, whatever role or spelling of their name they sign in with', async () => {
    // One person, two sign-ins: as an inspector they draft, as a manager they may not approve.
    const asInspector = await stack.as('inspector', 'Petra Both');
    const asManager = await stack.as('manager', '  petra   BOTH ');
    expect(subOf(asManager)).toBe(subOf(asInspector));
    const letter = await submittedLetter(asInspector);
    await expectFourEyesRefusal(await asManager.post(`/api/letters/${letter.id}/approve`, { version: letter.version }), /You created this letter/);
    // A different person who shows the creator's exact name is not the creator.
    expect(subOf(mary)).not.toBe(subOf(asInspector));
  });

  it("refuses the manager who changed the council's directory entry after the letter was created", async () => {
    const letter = await submittedLetter(inspector);
    const entry = (await mary.get('/api/councils/durham-county-council')).body;
    const redirected = { name: entry.name, director: { ...entry.director, email: 'director.new@durham.example' }, chiefExecutive: entry.chiefExecutive };
    const changed = await mary.request('PUT', '/api/councils/durham-county-council', { json: redirected, headers: { 'If-Match': `"${entry.version}"` } });
    expect(changed.status).toBe(200);
    try {
      const read = (await martin.get(`/api/letters/${letter.id}`)).body;
      // Everyone reading the letter sees the entry changed, when and by whom.
      expect(read.council).toMatchObject({ code: 'durham-county-council', version: entry.version + 1, updatedBy: { sub: subOf(mary), name: 'Mary Manager' } });
      expect(read.recipients.director.email).toBe('director.new@durham.example');

      await expectFourEyesRefusal(await mary.post(`/api/letters/${letter.id}/approve`, { version: letter.version }), /council directory/);
      expect((await martin.post(`/api/letters/${letter.id}/approve`, { version: letter.version })).status).toBe(202);
      await stack.queue.idle();
      const done = (await martin.get(`/api/letters/${letter.id}`)).body;
      expect(done.deliveries.director.email).toBe('director.new@durham.example');

      // A letter created after the change may be approved by the manager who made it.
      const later = await submittedLetter(inspector, { recipients: undefined });
      expect((await mary.post(`/api/letters/${later.id}/approve`, { version: later.version })).status).toBe(202);
    } finally {
      const now = (await mary.get('/api/councils/durham-county-council')).body;
      const restored = await mary.request('PUT', '/api/councils/durham-county-council', {
        json: { name: entry.name, director: entry.director, chiefExecutive: entry.chiefExecutive },
        headers: { 'If-Match': `"${now.version}"` },
      });
      expect(restored.status).toBe(200);
    }
  });

  it('holds in the write itself: an approval racing past the check is refused by the condition', async () => {
    const letter = await submittedLetter(inspector);
    const ivy = { sub: subOf(inspector), name: 'Ivy Inspector', role: 'manager' as const };
    const at = new Date().toISOString();
    await expect(
      stack.deps.letters.transition(letter.id, guard('approve', letter.version, ivy), {
        entry: { at, by: { sub: ivy.sub, name: ivy.name }, role: 'manager', action: 'approved' },
      }),
    ).rejects.toBeInstanceOf(ConditionNotMetError);
    expect((await stack.deps.letters.get(letter.id))!.status).toBe('submitted');
  });
});

describe('draft ownership', () => {
  it("refuses an inspector another inspector's draft, changing nothing; a manager may change any draft", async () => {
    const letter = await inspector.createLetter();
    const findingId = letter.findings[0].id;
    const attempts = [
      () => otherInspector.patch(`/api/letters/${letter.id}`, { inspector: { name: 'Oscar Other', jobTitle: "Her Majesty's Inspector" } }, { 'If-Match': '1' }),
      () => otherInspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Not mine to add.' }),
      () => otherInspector.patch(`/api/letters/${letter.id}/findings/${findingId}`, { text: 'Not mine to change.' }, { 'If-Match': '1' }),
      () => otherInspector.delete(`/api/letters/${letter.id}/findings/${findingId}`, { 'If-Match': '1' }),
      () => otherInspector.post(`/api/letters/${letter.id}/submit`),
    ];
    for (const attempt of attempts) {
      const response = await attempt();
      expect(response.status).toBe(403);
      expect(response.body.detail).toMatch(/Ivy Inspector created this one/);
    }
    const after = (await inspector.get(`/api/letters/${letter.id}`)).body;
    expect(after).toMatchObject({ version: 1, status: 'draft', inspector: exampleLetter().inspector });
    expect(after.findings).toEqual(letter.findings);

    // Reading and previewing stay open to every inspector.
    expect((await otherInspector.get(`/api/letters/${letter.id}`)).status).toBe(200);
    const byManager = await martin.patch(`/api/letters/${letter.id}`, { summary: 'Tightened by a manager.' }, { 'If-Match': '1' });
    expect(byManager.status).toBe(200);
  });
});

describe('who is recorded', () => {
  it("stores the acting token's subject id and name in every record of who did what", async () => {
    const letter = await inspector.createLetter();
    await inspector.patch(`/api/letters/${letter.id}`, { summary: 'Edited.' }, { 'If-Match': '1' });
    await martin.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Added by a manager.' });
    const submitted = (await inspector.post(`/api/letters/${letter.id}/submit`)).body;
    await approve(mary, submitted);
    await stack.queue.idle();
    const done = (await mary.get(`/api/letters/${letter.id}`)).body;

    const ivy = { sub: subOf(inspector), name: 'Ivy Inspector' };
    const who = { inspector: ivy, manager: { sub: subOf(martin), name: 'Martin Manager' } };
    expect(done.createdBy).toEqual(ivy);
    expect(done.approval.by).toEqual({ sub: subOf(mary), name: 'Mary Manager' });
    const byAction = (action: string) => done.history.find((h: any) => h.action === action).by;
    expect(byAction('created')).toEqual(ivy);
    expect(byAction('edited')).toEqual(ivy);
    expect(byAction('finding-added')).toEqual(who.manager);
    expect(byAction('submitted')).toEqual(ivy);
    expect(byAction('approved')).toEqual({ sub: subOf(mary), name: 'Mary Manager' });
    for (const h of done.history) expect(h.by).toEqual({ sub: expect.any(String), name: expect.any(String) });
    expect(done.history.filter((h: any) => h.role === 'system').every((h: any) => h.by.sub.startsWith('system'))).toBe(true);
  });

  it('refuses a token whose name carries control or bidirectional characters, and /dev/token will not sign one', async () => {
    for (const name of ['Mary\r\nManager', 'Mary\u0000Manager', 'Mary \u202Eregana M']) {
      const response = await fetch(`${stack.url}/dev/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role: 'manager', name }) });
      expect(response.status).toBe(422);
      // Signed anyway (as a misbehaving issuer might), it is refused at the door.
      const forged = await stack.issuer.issue('manager', name);
      const refused = await fetch(`${stack.url}/api/letters`, { headers: { Authorization: `Bearer ${forged}` } });
      expect(refused.status).toBe(401);
    }
  });
});

describe('readers', () => {
  it('see an archived letter’s content, approval, PDF and deliveries, but no return comment, edit or other read', async () => {
    const letter = await submittedLetter(inspector);
    await mary.post(`/api/letters/${letter.id}/return`, { comment: 'INTERNAL: the director is difficult.' });
    await inspector.patch(`/api/letters/${letter.id}`, { summary: 'Reworded after review.' }, { 'If-Match': String(letter.version + 1) });
    const again = (await inspector.post(`/api/letters/${letter.id}/submit`)).body;

    // Before it is archived, a reader cannot tell it exists.
    expect((await reader.get(`/api/letters/${letter.id}`)).status).toBe(404);
    await approve(martin, again);
    expect((await reader.get(`/api/letters/${letter.id}`)).status).toBe(404); // approved, not yet rendered
    await stack.queue.idle();
    await mary.get(`/api/letters/${letter.id}`);

    const seen = await reader.get(`/api/letters/${letter.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      status: 'distributed',
      summary: 'Reworded after review.',
      approval: { by: { name: 'Martin Manager' }, at: expect.any(String) },
      pdf: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      deliveries: { director: { state: 'sent' } },
    });
    expect(seen.text).not.toContain('INTERNAL');
    expect(seen.text).not.toContain('Mary Manager');
    expect(seen.text).not.toContain('Ivy Inspector');
    for (const hidden of ['history', 'returnComment', 'createdBy', 'addressOverride', 'addressDifferences']) expect(seen.body).not.toHaveProperty(hidden);
    expect((await reader.get(`/api/letters/${letter.id}/pdf`)).status).toBe(302);
  });
});
