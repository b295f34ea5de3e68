import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

/** A letter sent and every copy reported on by the local SES (a director who bounces, bounced), so nothing changes it after. */
async function distributedLetter(director?: string) {
  const recipients = exampleLetter().recipients;
  if (director) recipients.director.email = director;
  const l = await submittedLetter(inspector, { recipients });
  await manager.post(`/api/letters/${l.id}/approve`, { version: l.version });
  for (let tries = 0; tries < 300; tries++) {
    const now = (await manager.get(`/api/letters/${l.id}`)).body;
    const reported = ['director', 'chiefExecutive', 'dfe'].every((role) => ['delivered', 'bounced'].includes(now.deliveries[role]?.state));
    if (reported && (director ? now.deliveries.director.state === 'bounced' : now.status === 'distributed')) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the letter was not sent in time');
}

let archived: Promise<{ id: string; version: number; sha256: string }> | undefined;
/** One archived letter for the routes that only read one. */
function archivedLetter() {
  archived ??= distributedLetter().then((read) => ({ id: read.id, version: read.version, sha256: read.pdf.sha256 }));
  return archived;
}
const client = (who: Who) => ({ inspector, manager, reader, nobody: anonymous })[who];

/** Each route, how to call it on a letter prepared for it, and what each role gets. */
const ROUTES: {
  name: string;
  prepare: () => Promise<{ id: string; version: number; findingId?: string; sha256?: string }>;
  call: (c: ApiClient, l: { id: string; version: number; findingId?: string; sha256?: string }) => Promise<{ status: number }>;
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
    // A reader cannot learn that a draft exists.
    expect: { inspector: 200, manager: 200, reader: 404, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id} (archived)',
    prepare: async () => {
      const l = await submittedLetter(inspector);
      await manager.post(`/api/letters/${l.id}/approve`, { version: l.version });
      await stack.queue.idle();
      return (await manager.get(`/api/letters/${l.id}`)).body;
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
    call: (c, l) => c.patch(`/api/letters/${l.id}/findings/${l.findingId}`, { text: 'Edited.' }, { 'If-Match': String(l.version) }),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'DELETE /api/letters/{id}/findings/{findingId}',
    prepare: async () => {
      const l = await inspector.createLetter();
      return { ...l, findingId: l.findings[0].id };
    },
    call: (c, l) => c.delete(`/api/letters/${l.id}/findings/${l.findingId}`, { 'If-Match': String(l.version) }),
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
    expect: { inspector: 409, manager: 409, reader: 404, nobody: 401 },
  },
  {
    name: 'POST /api/letters/{id}/correction',
    prepare: () => distributedLetter(),
    call: (c, l) => c.post(`/api/letters/${l.id}/correction`),
    expect: { inspector: 201, manager: 201, reader: 403, nobody: 401 },
  },
  {
    name: 'POST /api/letters/{id}/withdraw',
    prepare: () => distributedLetter(),
    call: (c, l) => c.post(`/api/letters/${l.id}/withdraw`, { reason: 'Sent in error.' }),
    expect: { inspector: 403, manager: 202, reader: 403, nobody: 401 },
  },
  {
    name: 'PATCH /api/letters/{id}/deliveries/{role}',
    prepare: () => distributedLetter('bounce@simulator.amazonses.com'),
    call: (c, l) => c.patch(`/api/letters/${l.id}/deliveries/director`, { email: 'director.new@durham.example', reason: 'It bounced.' }),
    expect: { inspector: 403, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id}/history',
    prepare: () => inspector.createLetter(),
    call: (c, l) => c.get(`/api/letters/${l.id}/history`),
    expect: { inspector: 200, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id}/access',
    prepare: () => archivedLetter(),
    call: (c, l) => c.get(`/api/letters/${l.id}/access`),
    expect: { inspector: 403, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id}/integrity',
    prepare: () => archivedLetter(),
    call: (c, l) => c.get(`/api/letters/${l.id}/integrity`),
    expect: { inspector: 403, manager: 200, reader: 403, nobody: 401 },
  },
  {
    name: 'GET /api/letters/{id}/html',
    prepare: () => archivedLetter(),
    call: (c, l) => c.get(`/api/letters/${l.id}/html`),
    expect: { inspector: 200, manager: 200, reader: 200, nobody: 401 },
  },
  {
    name: 'GET /api/verify/{sha256}',
    prepare: () => archivedLetter(),
    call: (c, l) => c.get(`/api/verify/${l.sha256}`),
    // Open: whoever received the letter may check it.
    expect: { inspector: 200, manager: 200, reader: 200, nobody: 200 },
  },
  {
    name: 'GET /api/openapi.json',
    prepare: async () => ({ id: '', version: 0 }),
    call: (c) => c.get('/api/openapi.json'),
    expect: { inspector: 200, manager: 200, reader: 200, nobody: 200 },
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
