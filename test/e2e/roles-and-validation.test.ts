import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../lambdas/local/local-issuer';
import { ApiClient, exampleLetter, startTestStack, submittedLetter, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
let reader: ApiClient;
let anonymous: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector', 'Ivy Inspector');
  manager = await stack.as('manager', 'Mo Manager');
  reader = await stack.as('reader', 'Rhys Reader');
  anonymous = new ApiClient(stack.url, undefined);
});

afterAll(async () => {
  await stack?.destroy();
});

type Who = 'inspector' | 'manager' | 'reader' | 'nobody';
const client = (who: Who) => ({ inspector, manager, reader, nobody: anonymous })[who];

/** Each route, how to call it on a letter prepared for it, and what each role gets. */
const ROUTES: {
  name: string;
  prepare: () => Promise<{ id: string; version: number; findingId?: string }>;
  call: (c: ApiClient, l: { id: string; version: number; findingId?: string }) => Promise<{ status: number }>;
  expect: Record<Who, number>;
}[] = [
  {
    name: 'POST /api/letters',
    prepare: async () => ({ id: '', version: 0 }),
    call: (c) => c.post('/api/letters', exampleLetter()),
    expect: { inspector: 201, manager: 201, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters',
    prepare: async () => ({ id: '', version: 0 }),
    call: (c) => c.get('/api/letters'),
    expect: { inspector: 200, manager: 200, reader: 200, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id} (draft)',
    prepare: () => inspector.createLetter(),
    call: (c, l) => c.get(`/api/letters/${l.id}`),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id} (approved)',
    prepare: async () => {
      const l = await submittedLetter(inspector);
      return (await manager.post(`/api/letters/${l.id}/approve`, { version: l.version })).body;
    },
    call: (c, l) => c.get(`/api/letters/${l.id}`),
    expect: { inspector: 200, manager: 200, reader: 200, nobody: 401 },
  },
  {
    name: 'PATCH /api/letters/{id}',
    prepare: () => inspector.createLetter(),
    call: (c, l) => c.patch(`/api/letters/${l.id}`, { summary: 'Changed.' }, { 'If-Match': String(l.version) }),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'POST /api/letters/{id}/findings',
    prepare: () => inspector.createLetter(),
    call: (c, l) => c.post(`/api/letters/${l.id}/findings`, { category: 'strength', text: 'Added.' }),
    expect: { inspector: 201, manager: 201, reader: 403, nobody: 401 },
  },
  {
    name: 'PATCH /api/letters/{id}/findings/{findingId}',
    prepare: async () => {
      const l = await inspector.createLetter();
      return { ...l, findingId: l.findings[0].id };
    },
    call: (c, l) => c.patch(`/api/letters/${l.id}/findings/${l.findingId}`, { text: 'Edited.' }),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'DELETE /api/letters/{id}/findings/{findingId}',
    prepare: async () => {
      const l = await inspector.createLetter();
      return { ...l, findingId: l.findings[0].id };
    },
    call: (c, l) => c.delete(`/api/letters/${l.id}/findings/${l.findingId}`),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'POST /api/letters/{id}/submit',
    prepare: () => inspector.createLetter(),
    call: (c, l) => c.post(`/api/letters/${l.id}/submit`),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'POST /api/letters/{id}/return',
    prepare: () => submittedLetter(inspector),
    call: (c, l) => c.post(`/api/letters/${l.id}/return`, { comment: 'Returned.' }),
    expect: { inspector: 403, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'POST /api/letters/{id}/approve',
    prepare: () => submittedLetter(inspector),
    call: (c, l) => c.post(`/api/letters/${l.id}/approve`, { version: l.version }),
    expect: { inspector: 403, manager: 202, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id}/pdf (not yet rendered)',
    prepare: () => inspector.createLetter(),
    call: (c, l) => c.get(`/api/letters/${l.id}/pdf`),
    expect: { inspector: 409, manager: 409, reader: 409, nobody: 401 },
  },
  {
    name: 'GET /api/openapi.json',
    prepare: async () => ({ id: '', version: 0 }),
    call: (c) => c.get('/api/openapi.json'),
    expect: { inspector: 200, manager: 200, reader: 200, nobody: 401 },
  },
];

describe('the role matrix', () => {
  for (const route of ROUTES) {
    for (const who of ['inspector', 'manager', 'reader', 'nobody'] as const) {
      it(`${route.name} as ${who} answers ${route.expect[who]}`, async () => {
        const letter = await route.prepare();
        const before = letter.id ? (await manager.get(`/api/letters/${letter.id}`)).body : undefined;

        const response = await route.call(client(who), letter);

        expect(response.status).toBe(route.expect[who]);
        if (response.status >= 400 && before) {
          const after = (await manager.get(`/api/letters/${letter.id}`)).body;
          expect(after.version).toBe(before.version);
          expect(after.status).toBe(before.status);
          expect(after.findings).toEqual(before.findings);
        }
      });
    }
  }
});

describe('tokens', () => {
  const expectUnauthorised = async (authorization: string) => {
    const response = await fetch(`${stack.url}/api/letters`, { headers: { Authorization: authorization } });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  };

  it('refuses an expired token', async () => {
    const expired = await stack.issuer.issue('manager', 'Old Token', -60);
    await expectUnauthorised(`Bearer ${expired}`);
  });

  it('refuses a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ 'cognito:groups': ['manager'], name: 'Mallory' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(privateKey);
    await expectUnauthorised(`Bearer ${forged}`);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      sub: 'mallory',
      'cognito:groups': ['manager'],
      exp: Math.floor(Date.now() / 1000) + 3600,
    })}.`;
    await expectUnauthorised(`Bearer ${unsigned}`);
  });

  it('refuses a token for another audience, and malformed headers', async () => {
    await expectUnauthorised('Bearer not.a.token');
    await expectUnauthorised('Basic dXNlcjpwYXNz');
  });

  it('answers 403 to a valid token that holds no role', async () => {
    const jwk = JSON.parse(readFileSync(join(stack.dataDir, 'issuer-key.json'), 'utf8'));
    const token = await new SignJWT({ name: 'No Role', 'cognito:groups': ['visitors'] })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject('no-role')
      .setExpirationTime('1h')
      .sign(await importJWK(jwk, 'ES256'));
    const response = await new ApiClient(stack.url, token).get('/api/letters');
    expect(response.status).toBe(403);
    expect(response.body.detail).toContain('none of the roles');
  });
});

describe('bad input changes nothing', () => {
  const cases: { name: string; body: (l: any) => unknown; fields: string[]; status?: number }[] = [
    { name: 'an unknown field', body: () => ({ ...exampleLetter(), colour: 'red' }), fields: ['colour'] },
    { name: 'a nested unknown field', body: () => ({ ...exampleLetter(), authority: { name: 'X', region: 'Y' } }), fields: ['authority.region'] },
    { name: 'a missing field', body: () => ({ ...exampleLetter(), inspector: undefined }), fields: ['inspector'] },
    { name: 'a wrong type', body: () => ({ ...exampleLetter(), summary: 42 }), fields: ['summary'] },
    { name: 'over-long text', body: () => ({ ...exampleLetter(), summary: 'x'.repeat(2_001) }), fields: ['summary'] },
    {
      name: 'inspection ending before it starts',
      body: () => ({ ...exampleLetter(), inspection: { startDate: '2011-02-09', endDate: '2011-02-08' } }),
      fields: ['inspection.endDate'],
    },
    { name: 'a letter dated before the inspection', body: () => ({ ...exampleLetter(), letterDate: '2011-02-01' }), fields: ['letterDate'] },
    {
      name: 'a previous inspection after this one',
      body: () => ({
        ...exampleLetter(),
        inspection: { ...exampleLetter().inspection, previousInspection: { month: '2011-06', developmentAreasAddressed: true } },
      }),
      fields: ['inspection.previousInspection.month'],
    },
    { name: 'an impossible date', body: () => ({ ...exampleLetter(), letterDate: '2011-02-31' }), fields: ['letterDate'] },
    {
      name: 'a malformed email',
      body: () => {
        const l = exampleLetter();
        l.recipients.dfe.email = 'not-an-email';
        return l;
      },
      fields: ['recipients.dfe.email'],
    },
    {
      name: 'a header-injecting email',
      body: () => {
        const l = exampleLetter();
        l.recipients.director.email = 'a@b.com\r\nBcc: x@y.z';
        return l;
      },
      fields: ['recipients.director.email'],
    },
    {
      name: 'a control character in a name',
      body: () => {
        const l = exampleLetter();
        l.inspector.name = 'Simon\u0000Rushall';
        return l;
      },
      fields: ['inspector.name'],
    },
    {
      name: 'too many findings',
      body: () => ({ ...exampleLetter(), findings: Array.from({ length: 101 }, () => ({ category: 'strength', text: 'x' })) }),
      fields: ['findings'],
    },
    {
      name: 'an unknown finding category',
      body: () => ({ ...exampleLetter(), findings: [{ category: 'weakness', text: 'x' }] }),
      fields: ['findings[0].category'],
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with 422 naming the field, and stores nothing`, async () => {
      const council = `Validation Council ${Math.random()}`;
      const body = c.body(undefined) as any;
      if (body.authority?.name && !body.authority.region) body.authority.name = council;
      const response = await inspector.post('/api/letters', body);
      expect(response.status).toBe(c.status ?? 422);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(c.fields));
      const stored = await manager.get(`/api/letters?authority=${encodeURIComponent(council)}`);
      expect(stored.body.items).toEqual([]);
    });
  }

  it('refuses invalid JSON (400), a wrong content type (415) and an oversized body (413)', async () => {
    const invalid = await inspector.request('POST', '/api/letters', { body: '{"templateId": ', headers: { 'Content-Type': 'application/json' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);

    const wrongType = await inspector.request('POST', '/api/letters', { body: JSON.stringify(exampleLetter()), headers: { 'Content-Type': 'text/plain' } });
    expect(wrongType.status).toBe(415);

    const huge = await inspector.request('POST', '/api/letters', {
      body: JSON.stringify({ ...exampleLetter(), summary: 'x'.repeat(200_000) }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(huge.status).toBe(413);
  });

  it('refuses a PATCH whose merged dates contradict each other, leaving the letter as it was', async () => {
    const letter = await inspector.createLetter();
    const response = await inspector.patch(`/api/letters/${letter.id}`, { letterDate: '2011-01-01' }, { 'If-Match': '1' });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'letterDate' })]);
    const after = await inspector.get(`/api/letters/${letter.id}`);
    expect(after.body.letterDate).toBe('2011-03-09');
    expect(after.body.version).toBe(1);
  });

  it('answers 404 for unknown and malformed ids, including path traversal', async () => {
    expect((await inspector.get('/api/letters/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await inspector.get('/api/letters/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    expect((await inspector.get('/api/letters/not-an-id')).status).toBe(404);
    const letter = await inspector.createLetter();
    expect((await inspector.patch(`/api/letters/${letter.id}/findings/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { text: 'x' })).status).toBe(404);
  });
});
