import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { messagesTo } from '../support/outbox';
import { approve, CONFIGURED_DFE } from '../support/pipeline-helpers';
import { type ApiClient, exampleLetter, startTestStack, type TestStack } from '../support/stack';

/**
 * Where letters go: the council directory holds each council's director and chief executive,
 * configuration holds the DfE address, and a letter's copies go nowhere else unless a manager
 * says why.
 */

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
let otherManager: ApiClient;
let reader: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector', 'Ivy Inspector');
  manager = await stack.as('manager', 'Mary Manager');
  otherManager = await stack.as('manager', 'Martin Manager');
  reader = await stack.as('reader', 'Rhys Reader');
});

afterAll(async () => {
  await stack?.destroy();
});

const durham = () => {
  const { director, chiefExecutive } = exampleLetter().recipients;
  return { name: 'Durham County Council', director, chiefExecutive };
};

describe('the council directory', () => {
  it('starts with the seeded councils, Durham as in the example letter, paged in code order', async () => {
    const first = await inspector.get('/api/councils?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const codes: string[] = first.body.items.map((c: any) => c.code);
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await inspector.get(`/api/councils?limit=2&cursor=${cursor}`);
      codes.push(...page.body.items.map((c: any) => c.code));
      cursor = page.body.nextCursor;
    }
    expect(codes).toEqual([...codes].sort());
    expect(codes).toContain('durham-county-council');
    expect(codes.length).toBeGreaterThanOrEqual(5);

    const entry = await inspector.get('/api/councils/durham-county-council');
    expect(entry.status).toBe(200);
    expect(entry.headers.get('etag')).toBe('"1"');
    expect(entry.body).toMatchObject({ ...durham(), code: 'durham-county-council', version: 1, updatedBy: { sub: 'system' } });
    const all = await inspector.get('/api/councils?limit=100');
    for (const council of all.body.items) {
      for (const email of [council.director.email, council.chiefExecutive.email]) expect(email).toMatch(/\.example$/);
    }
  });

  it('lets a manager add an entry without If-Match and change it with one, recording who and when', async () => {
    const body = { ...durham(), name: 'Tees Valley Council' };
    body.director = { ...body.director, organisation: 'Tees Valley Council', email: 'director@teesvalley.example' };
    body.chiefExecutive = { ...body.chiefExecutive, organisation: 'Tees Valley Council', email: 'ce@teesvalley.example' };

    expect((await inspector.request('PUT', '/api/councils/tees-valley-council', { json: body })).status).toBe(403);
    const added = await manager.request('PUT', '/api/councils/tees-valley-council', { json: body });
    expect(added.status).toBe(201);
    expect(added.headers.get('location')).toBe('/api/councils/tees-valley-council');
    expect(added.body.updatedBy).toEqual({ sub: expect.stringMatching(/^local:/), name: 'Mary Manager' });

    expect((await manager.request('PUT', '/api/councils/tees-valley-council', { json: body })).status).toBe(428);
    const changed = await otherManager.request('PUT', '/api/councils/tees-valley-council', {
      json: { ...body, chiefExecutive: { ...body.chiefExecutive, name: 'New Chief' } },
      headers: { 'If-Match': '"1"' },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('"2"');
    expect(changed.body.changes.map((c: any) => [c.version, c.by.name, c.fields])).toEqual([
      [1, 'Mary Manager', ['name', 'director', 'chiefExecutive']],
      [2, 'Martin Manager', ['chiefExecutive']],
    ]);
    const stale = await manager.request('PUT', '/api/councils/tees-valley-council', { json: body, headers: { 'If-Match': '"1"' } });
    expect(stale.status).toBe(412);
    expect((await manager.get('/api/councils/tees-valley-council')).body.chiefExecutive.name).toBe('New Chief');
  });

  it('is not for readers', async () => {
    expect((await reader.get('/api/councils')).status).toBe(403);
    expect((await reader.get('/api/councils/durham-county-council')).status).toBe(403);
  });
});

describe('a letter and its council', () => {
  it('accepts the example letter as it is, and one without recipients, filled from the directory and configuration', async () => {
    const asIs = await inspector.post('/api/letters', exampleLetter());
    expect(asIs.status).toBe(201);
    expect(asIs.body.addressDifferences).toEqual([]);
    expect(asIs.body.recipients).toEqual(exampleLetter().recipients);

    const { recipients: _left, ...bare } = exampleLetter();
    const filled = await inspector.post('/api/letters', bare);
    expect(filled.status).toBe(201);
    expect(filled.body.recipients).toEqual(exampleLetter().recipients);
    expect(filled.body.recipients.dfe).toEqual(CONFIGURED_DFE);
  });

  it('refuses a council that is not in the directory, naming authority.name', async () => {
    const response = await inspector.post('/api/letters', { ...exampleLetter(), authority: { name: 'Nowhere Borough Council' } });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ field: 'authority.name', message: expect.stringContaining('council directory') }]);
  });

  it('refuses look-alike council names, and normalises the rest so a search by the plain name finds the letter', async () => {
    for (const name of [
      'Durham\u200B County Council', // zero-width space
      'Dur\u00ADham County Council', // soft hyphen
      'Durham County Council\u{E0041}\u{E007F}', // tag characters
      'Durh\u0430m County Council', // Cyrillic а
      'Durham County\u2060 Council', // word joiner
      'Durham \u3164County Council', // Hangul filler
    ]) {
      const response = await inspector.post('/api/letters', { ...exampleLetter(), authority: { name } });
      expect({ name, status: response.status, fields: response.body.errors?.map((e: any) => e.field) }).toEqual({
        name,
        status: 422,
        fields: ['authority.name'],
      });
    }
    const spellings = ['  durham   COUNTY council ', 'Ｄｕｒｈａｍ Ｃｏｕｎｔｙ Ｃｏｕｎｃｉｌ', 'Durham\u00A0County\u2003Council'];
    const ids: string[] = [];
    for (const name of spellings) {
      const response = await inspector.post('/api/letters', { ...exampleLetter(), letterDate: '2011-03-10', authority: { name } });
      expect(response.status).toBe(201);
      expect(response.body.authority.name).toBe('Durham County Council');
      ids.push(response.body.id);
    }
    const search = await inspector.get(`/api/letters?authority=${encodeURIComponent('Durham County Council')}&from=2011-03-10&to=2011-03-10`);
    expect(search.body.items.map((i: any) => i.id).sort()).toEqual([...ids].sort());
  });

  it("keeps every letter's mail inside the directory and the configured DfE address", async () => {
    const attacker = 'attacker@evil.example';
    const attempts = [
      () => inspector.post('/api/letters', { ...exampleLetter(), recipients: { ...exampleLetter().recipients, dfe: { ...CONFIGURED_DFE, email: attacker } } }),
      () => {
        const l = exampleLetter();
        l.recipients.director.email = attacker;
        return inspector.post('/api/letters', l);
      },
      () => {
        const l = exampleLetter();
        l.recipients.chiefExecutive.email = attacker;
        return manager.post('/api/letters', l); // a manager, but without a reason
      },
    ];
    for (const attempt of attempts) expect((await attempt()).status).toBe(422);

    const letter = await inspector.createLetter();
    const sneaky = await inspector.patch(
      `/api/letters/${letter.id}`,
      { recipients: { director: { ...exampleLetter().recipients.director, email: attacker } } },
      { 'If-Match': String(letter.version) },
    );
    expect(sneaky.status).toBe(422);
    expect(sneaky.body.errors.map((e: any) => e.field)).toEqual(['recipients.director.email']);
    const dfeSwap = await manager.patch(
      `/api/letters/${letter.id}`,
      { recipients: { dfe: { ...CONFIGURED_DFE, email: attacker }, reason: 'Because I say so.' } },
      { 'If-Match': String(letter.version) },
    );
    expect(dfeSwap.status).toBe(422);
    expect(dfeSwap.body.errors.map((e: any) => e.field)).toEqual(['recipients.dfe.email']);

    const submitted = (await inspector.post(`/api/letters/${letter.id}/submit`)).body;
    await approve(manager, submitted);
    await stack.queue.idle();
    expect((await manager.get(`/api/letters/${letter.id}`)).body.status).toBe('distributed');

    const allowed = new Set<string>([CONFIGURED_DFE.email]);
    for (const council of (await manager.get('/api/councils?limit=100')).body.items) {
      allowed.add(council.director.email);
      allowed.add(council.chiefExecutive.email);
    }
    const outbox = await stack.outbox();
    expect(outbox.length).toBeGreaterThanOrEqual(3);
    for (const message of outbox) for (const to of message.to) expect(allowed).toContain(to);
    expect(JSON.stringify(outbox)).not.toContain(attacker);
  });

  it("lists a manager's address override on the letter and in its history, and sends the letter there", async () => {
    const draft = await inspector.createLetter();
    const recipients = exampleLetter().recipients;
    const director = { ...recipients.director, email: 'david.williams.office@durham.example', address: ['Room 4/120', 'County Hall', 'Durham', 'DH1 5UL'] };
    const reason = 'The director asked for letters to go to the office while County Hall is refurbished.';
    const changed = await manager.patch(`/api/letters/${draft.id}`, { recipients: { director, reason } }, { 'If-Match': String(draft.version) });
    expect(changed.status).toBe(200);

    const read = (await inspector.get(`/api/letters/${draft.id}`)).body;
    expect(read.addressDifferences).toEqual([
      { field: 'recipients.director.address', directory: 'County Hall, Durham, DH1 5UL', letter: 'Room 4/120, County Hall, Durham, DH1 5UL' },
      { field: 'recipients.director.email', directory: 'david.williams@durham.example', letter: 'david.williams.office@durham.example' },
    ]);
    expect(read.addressOverride).toMatchObject({ reason, by: { name: 'Mary Manager' } });
    expect(read.recipients.director.email).toBe('david.williams.office@durham.example');
    const edited = read.history.filter((h: any) => h.action === 'edited').pop();
    expect(edited.by.name).toBe('Mary Manager');
    expect(edited.detail).toContain('recipients.director.email');
    expect(edited.detail).toContain(reason);

    // The inspector may repeat the letter's recipients as they stand, but not change them.
    const again = await inspector.patch(`/api/letters/${read.id}`, { recipients: read.recipients, summary: 'Shorter.' }, { 'If-Match': String(read.version) });
    expect(again.status).toBe(200);
    expect(again.body.addressDifferences).toHaveLength(2);

    const submitted = (await inspector.post(`/api/letters/${read.id}/submit`)).body;
    // The manager who changed the addresses may not approve the letter; another may.
    const refused = await manager.post(`/api/letters/${read.id}/approve`, { version: submitted.version });
    expect(refused.status).toBe(403);
    await approve(otherManager, submitted);
    await stack.queue.idle();
    const done = (await otherManager.get(`/api/letters/${read.id}`)).body;
    expect(done.status).toBe('distributed');
    expect(done.deliveries.director.email).toBe('david.williams.office@durham.example');
    expect(done.addressDifferences).toHaveLength(2);
    expect(messagesTo(await stack.outbox(), 'david.williams.office@durham.example')).toHaveLength(1);
  });
});
