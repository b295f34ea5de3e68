import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addCouncil, recipientsFor } from '../support/pipeline-helpers';
import { type ApiClient, exampleLetter, startTestStack, submittedLetter, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
/** A manager: managers change any draft, inspectors only their own. */
let colleague: ApiClient;
let manager: ApiClient;
let reader: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector', 'Simon Rushall');
  colleague = await stack.as('manager', 'Siobhán O’Connor');
  manager = await stack.as('manager', 'Mary Manager');
  reader = await stack.as('reader', 'Rita Records');
});

afterAll(async () => {
  await stack?.destroy();
});

describe('drafts', () => {
  it('creates a draft from the example letter, with ids for its findings', async () => {
    const response = await inspector.post('/api/letters', exampleLetter());

    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.headers.get('location')).toBe(`/api/letters/${response.body.id}`);
    const letter = response.body;
    expect(letter).toMatchObject({ status: 'draft', version: 1, authority: { name: 'Durham County Council' }, createdBy: { sub: expect.stringMatching(/^local:/), name: 'Simon Rushall' } });
    expect(letter.findings).toHaveLength(14);
    expect(letter.findings.map((f: any) => f.text)).toEqual(exampleLetter().findings.map((f: any) => f.text));
    expect(new Set(letter.findings.map((f: any) => f.id)).size).toBe(14);
    expect(letter.history).toEqual([expect.objectContaining({ action: 'created', by: letter.createdBy, role: 'inspector' })]);

    const read = await inspector.get(`/api/letters/${letter.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(letter);
  });

  it('changes fields with If-Match, raising the version and recording who changed what', async () => {
    const letter = await inspector.createLetter();
    const response = await colleague.patch(
      `/api/letters/${letter.id}`,
      { summary: 'A new summary.' },
      { 'If-Match': '"1"' },
    );

    expect(response.status).toBe(200);
    expect(response.body.summary).toBe('A new summary.');
    expect(response.body.version).toBe(2);
    expect(response.headers.get('etag')).toBe('"2"');
    expect(response.body.history[0]).toMatchObject({ action: 'edited', by: { name: 'Siobhán O’Connor' }, detail: 'summary', seq: 2 });

    const bare = await inspector.patch(`/api/letters/${letter.id}`, { summary: 'Bare If-Match.' }, { 'If-Match': '2' });
    expect(bare.status).toBe(200);
    expect(bare.body.version).toBe(3);
  });

  it('answers 428 without If-Match and 412 on a stale version, leaving the letter as it was', async () => {
    const letter = await inspector.createLetter();
    await inspector.patch(`/api/letters/${letter.id}`, { summary: 'First edit.' }, { 'If-Match': '1' });

    const missing = await inspector.patch(`/api/letters/${letter.id}`, { summary: 'No precondition.' });
    expect(missing.status).toBe(428);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.body.errors).toEqual([{ field: 'If-Match', message: 'is required' }]);

    const stale = await colleague.patch(`/api/letters/${letter.id}`, { summary: 'Lost update.' }, { 'If-Match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.detail).toContain('current version is 2');

    const after = await inspector.get(`/api/letters/${letter.id}`);
    expect(after.body.summary).toBe('First edit.');
    expect(after.body.version).toBe(2);
  });

  it('adds, edits and removes findings', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    const added = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Strong leadership.' });
    expect(added.status).toBe(201);
    // The letter with its new finding; Location names the finding.
    const findingId = added.headers.get('location')!.split('/').pop()!;
    expect(added.headers.get('location')).toBe(`/api/letters/${letter.id}/findings/${findingId}`);
    expect(added.body.findings).toEqual([{ id: findingId, category: 'strength', text: 'Strong leadership.' }]);
    expect(added.headers.get('etag')).toBe('"2"');

    const edited = await inspector.patch(`/api/letters/${letter.id}/findings/${findingId}`, { text: 'Very strong leadership.' }, { 'If-Match': '"2"' });
    expect(edited.status).toBe(200);
    expect(edited.body.findings).toEqual([{ id: findingId, category: 'strength', text: 'Very strong leadership.' }]);

    const removed = await inspector.delete(`/api/letters/${letter.id}/findings/${findingId}`, { 'If-Match': edited.headers.get('etag')! });
    expect(removed.status).toBe(200);
    expect(removed.body.findings).toEqual([]);
    const history = (await inspector.get(`/api/letters/${letter.id}`)).body.history;
    expect(history.map((h: any) => h.action)).toEqual(['finding-removed', 'finding-edited', 'finding-added', 'created']);

    const gone = await inspector.delete(`/api/letters/${letter.id}/findings/${findingId}`, { 'If-Match': removed.headers.get('etag')! });
    expect(gone.status).toBe(404);
  });

  it('needs If-Match to change or remove a finding: 428 without, 412 when stale, changing nothing', async () => {
    const letter = await inspector.createLetter({ findings: [{ category: 'strength', text: 'Strong leadership.' }] });
    const findingId = letter.findings[0].id;
    const path = `/api/letters/${letter.id}/findings/${findingId}`;
    const before = (await inspector.get(`/api/letters/${letter.id}`)).body;

    const without = await inspector.patch(path, { text: 'Changed without a version.' });
    expect(without.status).toBe(428);
    expect(without.body.errors).toEqual([{ field: 'If-Match', message: 'is required' }]);
    expect((await inspector.delete(path)).status).toBe(428);

    await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Another finding, raising the version.' });
    const stale = await inspector.patch(path, { text: 'Changed at a stale version.' }, { 'If-Match': '"1"' });
    expect(stale.status).toBe(412);
    expect((await inspector.delete(path, { 'If-Match': '"1"' })).status).toBe(412);

    const after = (await inspector.get(`/api/letters/${letter.id}`)).body;
    expect(after.findings.find((f: any) => f.id === findingId)).toEqual(before.findings[0]);
    expect(after.version).toBe(before.version + 1);
  });

  it('lands every finding when two people add findings at the same time', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    const texts = Array.from({ length: 20 }, (_, i) => `Concurrent finding ${i + 1}.`);
    const results = await Promise.all(
      texts.map((text, i) => (i % 2 ? colleague : inspector).post(`/api/letters/${letter.id}/findings`, { category: 'areaForDevelopment', text })),
    );
    expect(results.map((r) => r.status)).toEqual(texts.map(() => 201));

    const after = await inspector.get(`/api/letters/${letter.id}`);
    expect(after.body.findings.map((f: any) => f.text).sort()).toEqual([...texts].sort());
    expect(after.body.version).toBe(1 + texts.length);
  });
});

describe('part-finished drafts, several findings, and their order', () => {
  it('saves a draft with only its council, and names each missing field at submit', async () => {
    const recipients = recipientsFor('partway');
    await addCouncil(manager, 'Partway Borough Council', recipients);
    const created = await inspector.post('/api/letters', { authority: { name: 'Partway Borough Council' }, summary: 'Known so far.\r\n\r\nA second paragraph.' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', authority: { name: 'Partway Borough Council' }, summary: 'Known so far.\n\nA second paragraph.' });
    // The recipients are known from the start: the council directory holds them.
    expect(created.body.recipients.director.email).toBe(recipients.director.email);
    expect(created.body.letterDate).toBeUndefined();
    const id = created.body.id;

    const refused = await inspector.post(`/api/letters/${id}/submit`);
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['findings', 'inspection', 'inspector', 'letterDate', 'sender'].sort());
    expect((await inspector.get(`/api/letters/${id}`)).body.status).toBe('draft');
    // A preview needs the whole letter too, and says what is missing rather than failing.
    expect((await inspector.get(`/api/letters/${id}/preview`)).status).toBe(422);

    const { findings: _f, authority: _a, summary: _s, templateId: _t, recipients: _r, ...rest } = exampleLetter();
    const patched = await inspector.patch(`/api/letters/${id}`, rest, { 'If-Match': '"1"' });
    expect(patched.status).toBe(200);
    const added = await inspector.post(`/api/letters/${id}/findings`, [{ category: 'strength', text: 'One.' }]);
    expect(added.status).toBe(201);
    expect((await inspector.post(`/api/letters/${id}/submit`)).status).toBe(200);
  });

  it('adds several findings in one request, in order, all or none', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    const several = [
      { category: 'areaForDevelopment', text: 'First.\r\nWith a second line.' },
      { category: 'areaForDevelopment', text: 'Second.' },
      { category: 'strength', text: 'Third.' },
    ];
    const added = await inspector.post(`/api/letters/${letter.id}/findings`, several);
    expect(added.status).toBe(201);
    expect(added.headers.get('location')).toBe(`/api/letters/${letter.id}`);
    expect(added.body.findings.map((f: any) => f.text)).toEqual(['First.\nWith a second line.', 'Second.', 'Third.']);
    expect(added.body.version).toBe(2);

    const bad = await inspector.post(`/api/letters/${letter.id}/findings`, [{ category: 'strength', text: 'Fine.' }, { category: 'strength', text: 'x'.repeat(3_001) }]);
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: '[1].text' })]);
    expect((await inspector.post(`/api/letters/${letter.id}/findings`, [])).status).toBe(422);
    expect((await inspector.get(`/api/letters/${letter.id}`)).body.findings).toHaveLength(3);
  });

  it('moves a finding within its category at the version read, and keeps that order', async () => {
    const letter = await inspector.createLetter();
    const areas = () => inspector.get(`/api/letters/${letter.id}`).then((r) => r.body.findings.filter((f: any) => f.category === 'areaForDevelopment').map((f: any) => f.id));
    const [a, b, c] = await areas();
    const path = `/api/letters/${letter.id}/findings/${c}/move`;

    expect((await inspector.post(path, { before: a })).status).toBe(428);
    expect((await inspector.post(path, { before: a }, { 'If-Match': '"7"' })).status).toBe(412);
    const strength = (await inspector.get(`/api/letters/${letter.id}`)).body.findings.find((f: any) => f.category === 'strength').id;
    const wrongCategory = await inspector.post(path, { before: strength }, { 'If-Match': '"1"' });
    expect(wrongCategory.status).toBe(422);
    expect(wrongCategory.body.errors).toEqual([expect.objectContaining({ field: 'before' })]);

    const moved = await inspector.post(path, { before: a }, { 'If-Match': '"1"' });
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).toBe('"2"');
    expect(await areas()).toEqual([c, a, b]);
    expect((await inspector.post(`/api/letters/${letter.id}/findings/${c}/move`, { before: null }, { 'If-Match': '"2"' })).status).toBe(200);
    expect(await areas()).toEqual([a, b, c]);
    // A finding added after a move goes to the end of its category.
    const added = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'areaForDevelopment', text: 'Added last.' });
    expect(await areas()).toEqual([a, b, c, added.headers.get('location')!.split('/').pop()]);
  });

  it('refuses a line break where the letter prints one line, in words', async () => {
    const refused = await inspector.post('/api/letters', { authority: { name: 'Two\nLines Council' } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: 'authority.name', message: 'must be on one line, without line breaks' }]);
  });
});

describe('workflow', () => {
  it('goes draft → submitted → returned with a comment → submitted → approved', async () => {
    const letter = await inspector.createLetter();
    const submitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(submitted.status).toBe(200);
    expect(submitted.body.status).toBe('submitted');

    const returned = await manager.post(`/api/letters/${letter.id}/return`, { comment: 'Please tighten the summary.' });
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ status: 'draft', returnComment: 'Please tighten the summary.' });

    const resubmitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(resubmitted.body.status).toBe('submitted');
    expect(resubmitted.body.returnComment).toBeUndefined();

    // Approve takes the version in If-Match, as every other write does.
    const approved = await manager.post(`/api/letters/${letter.id}/approve`, undefined, { 'If-Match': resubmitted.headers.get('etag')! });
    expect(approved.status).toBe(202);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.approval).toMatchObject({ by: { name: 'Mary Manager' }, version: resubmitted.body.version });

    // A reader finds the letter once it is archived: its content and approval, not how it came to be.
    await stack.queue.idle();
    const archived = await reader.get(`/api/letters/${letter.id}`);
    expect(archived.status).toBe(200);
    expect(archived.body.history).toBeUndefined();
    expect(archived.body).toMatchObject({ status: 'distributed', approval: { by: { name: 'Mary Manager' } }, summary: exampleLetter().summary });
    for (const hidden of ['history', 'returnComment', 'createdBy', 'addressOverride']) expect(archived.body).not.toHaveProperty(hidden);
    const read = await manager.get(`/api/letters/${letter.id}`);
    const actions = read.body.history.map((h: any) => `${h.action}:${h.by.name}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'created:Simon Rushall',
        'submitted:Simon Rushall',
        'returned:Mary Manager',
        'approved:Mary Manager',
      ]),
    );
    expect(read.body.history.find((h: any) => h.action === 'returned').detail).toBe('Please tighten the summary.');
  });

  it("records a reader's reads in the access log, never staff reads, HEAD requests or drafts, and keeps them out of the history", async () => {
    const letter = await submittedLetter(inspector);
    await reader.get(`/api/letters/${letter.id}`);
    await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    await stack.queue.idle();
    await reader.get(`/api/letters/${letter.id}`);
    await reader.request('HEAD', `/api/letters/${letter.id}`);
    await manager.get(`/api/letters/${letter.id}`);
    const read = await inspector.get(`/api/letters/${letter.id}`);
    expect(read.body.history.filter((h: any) => h.action === 'read')).toEqual([]);

    const log = await manager.get(`/api/letters/${letter.id}/access`);
    expect(log.status).toBe(200);
    expect(log.body.items.map((a: any) => `${a.action}:${a.by.name}`)).toEqual(['read:Rita Records']);
    // Readers see the archived letter, not its history or who else read it.
    const asReader = await reader.get(`/api/letters/${letter.id}`);
    expect(asReader.body.history).toBeUndefined();
    expect((await reader.get(`/api/letters/${letter.id}/history`)).status).toBe(403);
    expect((await reader.get(`/api/letters/${letter.id}/access`)).status).toBe(403);
    expect((await inspector.get(`/api/letters/${letter.id}/access`)).status).toBe(403);
  });

  it('answers a staff poll holding the approved letter as it is with 304 and no body, and sends the letter once anything changed', async () => {
    const letter = await submittedLetter(inspector);
    const path = `/api/letters/${letter.id}`;
    // Before approval the recipients shown follow the council directory, which the version does not: the letter every time.
    const asDraft = await manager.get(path);
    expect((await manager.get(path, { 'If-None-Match': asDraft.headers.get('etag')! })).status).toBe(200);

    const approved = await manager.post(`${path}/approve`, { version: letter.version });
    const heldSinceApproval = approved.headers.get('etag')!;
    await stack.queue.idle();
    // Rendered and sent since: the letter, at a higher version.
    const now = await manager.get(path, { 'If-None-Match': heldSinceApproval });
    expect(now.status).toBe(200);
    expect(now.body.status).toBe('distributed');
    const etag = now.headers.get('etag')!;
    expect(Number(JSON.parse(etag))).toBeGreaterThan(Number(JSON.parse(heldSinceApproval)));

    const unchanged = await manager.get(path, { 'If-None-Match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect((await inspector.get(path, { 'If-None-Match': `${heldSinceApproval}, W/${etag}` })).status).toBe(304);
    expect((await inspector.request('HEAD', path, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    // Anything but one of its ETags is ignored: the letter.
    for (const other of ['*', 'not-a-tag', heldSinceApproval]) expect((await manager.get(path, { 'If-None-Match': other })).status).toBe(200);

    // A reader's read goes to the access log, so a reader is given the letter whatever it holds.
    const asReader = await reader.get(path, { 'If-None-Match': etag });
    expect(asReader.status).toBe(200);
    expect(asReader.body.status).toBe('distributed');
    expect((await manager.get(`${path}/access`)).body.items.map((a: any) => a.by.name)).toEqual(['Rita Records']);
  });

  it('refuses edits once submitted and once approved with 409, changing nothing', async () => {
    const letter = await submittedLetter(inspector);
    const edit = await inspector.patch(`/api/letters/${letter.id}`, { summary: 'Too late.' }, { 'If-Match': String(letter.version) });
    expect(edit.status).toBe(409);
    const finding = await inspector.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Too late.' });
    expect(finding.status).toBe(409);

    await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    const afterApproval = await manager.patch(`/api/letters/${letter.id}`, { summary: 'Never.' }, { 'If-Match': String(letter.version + 1) });
    expect(afterApproval.status).toBe(409);
    const returnApproved = await manager.post(`/api/letters/${letter.id}/return`, { comment: 'No.' });
    expect(returnApproved.status).toBe(409);

    const after = await manager.get(`/api/letters/${letter.id}`);
    expect(after.body.summary).toBe(exampleLetter().summary);
    expect(after.body.findings).toHaveLength(14);
  });

  it('approves only the version the manager read', async () => {
    const letter = await submittedLetter(inspector);
    const stale = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version - 1 });
    expect(stale.status).toBe(412);
    const draft = await inspector.createLetter();
    const notSubmitted = await manager.post(`/api/letters/${draft.id}/approve`, { version: 1 });
    expect(notSubmitted.status).toBe(409);
    expect((await manager.get(`/api/letters/${letter.id}`)).body.status).toBe('submitted');
  });

  it('gives one approval when managers approve the same letter at once', async () => {
    const letter = await submittedLetter(inspector);
    const managers = await Promise.all(Array.from({ length: 8 }, (_, i) => stack.as('manager', `Manager ${i}`)));
    const results = await Promise.all(managers.map((m) => m.post(`/api/letters/${letter.id}/approve`, { version: letter.version })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 202).every((r) => r.status === 409 || r.status === 412)).toBe(true);
    const after = await manager.get(`/api/letters/${letter.id}`);
    expect(after.body.history.filter((h: any) => h.action === 'approved')).toHaveLength(1);
  });

  it('lets the approving manager repeat an approval safely: one approval, the render queued again', async () => {
    const letter = await submittedLetter(inspector);
    const first = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    const again = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    expect([first.status, again.status]).toEqual([202, 202]);
    const other = await (await stack.as('manager', 'Another Manager')).post(`/api/letters/${letter.id}/approve`, { version: letter.version });
    expect(other.status).toBe(409);
    await stack.queue.idle();
    const after = await manager.get(`/api/letters/${letter.id}`);
    expect(after.body.history.filter((h: any) => h.action === 'approved')).toHaveLength(1);
    expect(after.body.history.filter((h: any) => h.action === 'rendered')).toHaveLength(1);
    expect(after.body.status).toBe('distributed');
  });

  it('refuses to submit a letter with no findings', async () => {
    const letter = await inspector.createLetter({ findings: [] });
    const response = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'findings' })]);
  });
});

describe('search', () => {
  it('finds letters by council, status and date range, newest first, page by page', async () => {
    const council = `Search Test Council ${Date.now()}`;
    await addCouncil(manager, council, exampleLetter().recipients);
    const dates = ['2020-01-15', '2020-03-15', '2020-02-15', '2020-04-15', '2020-05-15'];
    const created = [];
    for (const letterDate of dates) {
      created.push(
        await inspector.createLetter({
          authority: { name: council },
          letterDate,
          inspection: { startDate: '2019-12-01', endDate: '2019-12-02' },
        }),
      );
    }
    await inspector.post(`/api/letters/${created[3].id}/submit`);

    const all = await reader.get(`/api/letters?authority=${encodeURIComponent(council.toUpperCase())}`);
    expect(all.status).toBe(200);
    expect(all.body.items).toEqual([]); // readers see approved letters only

    const byCouncil = await manager.get(`/api/letters?authority=${encodeURIComponent(council.toUpperCase())}&limit=2`);
    expect(byCouncil.body.items.map((l: any) => l.letterDate)).toEqual(['2020-05-15', '2020-04-15']);
    const next = await manager.get(
      `/api/letters?authority=${encodeURIComponent(council)}&limit=2&cursor=${byCouncil.body.nextCursor}`,
    );
    expect(next.body.items.map((l: any) => l.letterDate)).toEqual(['2020-03-15', '2020-02-15']);

    const range = await manager.get(`/api/letters?authority=${encodeURIComponent(council)}&from=2020-02-01&to=2020-03-31`);
    expect(range.body.items.map((l: any) => l.letterDate)).toEqual(['2020-03-15', '2020-02-15']);
    expect(range.body.nextCursor).toBeNull();

    const submitted = await manager.get(`/api/letters?authority=${encodeURIComponent(council)}&status=submitted`);
    expect(submitted.body.items.map((l: any) => l.id)).toEqual([created[3].id]);

    const byStatus = await manager.get('/api/letters?status=submitted&from=2020-04-15&to=2020-04-15');
    expect(byStatus.body.items.map((l: any) => l.id)).toContain(created[3].id);
  });

  it('refuses malformed search parameters', async () => {
    const response = await manager.get('/api/letters?status=lost&from=2020-02-30&cursor=nonsense&limit=1000&colour=red');
    expect(response.status).toBe(422);
    const fields = response.body.errors.map((e: any) => e.field).sort();
    expect(fields).toEqual(['colour', 'from', 'limit', 'status']);
    const repeated = await manager.get('/api/letters?status=draft&status=submitted');
    expect(repeated.status).toBe(422);
    expect(repeated.body.errors).toEqual([{ field: 'status', message: 'must be given once' }]);
    const cursor = await manager.get('/api/letters?cursor=bm9uc2Vuc2U');
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });
});

describe('the OpenAPI document', () => {
  it('describes every route, from the same schemas that validate requests', async () => {
    const response = await reader.get('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/letters',
        '/api/letters/{id}',
        '/api/letters/{id}/findings',
        '/api/letters/{id}/findings/{findingId}',
        '/api/letters/{id}/findings/{findingId}/move',
        '/api/letters/{id}/submit',
        '/api/letters/{id}/return',
        '/api/letters/{id}/approve',
        '/api/letters/{id}/preview',
        '/api/letters/{id}/pdf',
        '/api/letters/{id}/redistribute',
      ]),
    );
    const input = response.body.components.schemas.LetterInput;
    expect(input.additionalProperties).toBe(false);
    // A draft may be saved part-finished: only its council is needed from the start.
    expect(input.required).toEqual(['authority']);
    // Recipients come from the council directory and configuration when a body leaves them out.
    expect(input.required).not.toContain('recipients');
  });
});
