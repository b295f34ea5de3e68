import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type components, lettersApi } from './api-client/client';
import { type LocalStack, startLocalStack } from './local-stack';

/**
 * `npm run demo`: takes the example letter through create → submit → approve → render →
 * distribute, against a running local stack (at DEMO_URL or PORT) or one started here.
 */
const exampleFile = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'durham-2011-03-09.json');
const port = Number(process.env.PORT ?? 3000);
let baseUrl = process.env.DEMO_URL ?? `http://127.0.0.1:${port}`;
let started: LocalStack | undefined;

async function running(url: string) {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

/** The local-only routes are not part of the API, so not in its client. */
async function dev<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const token = async (role: string, name: string) => (await dev<{ token: string }>('POST', '/dev/token', { role, name })).token;

/** The body of a successful call, or an error naming the call and the problem it answered. */
function ok<T>(what: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new Error(`${what} answered ${result.response.status}: ${JSON.stringify(result.error)}`);
  return result.data;
}

if (!(await running(baseUrl))) {
  console.log(`No local stack at ${baseUrl}; starting one (data in ${process.env.DATA_DIR ?? '.data'}/)…`);
  started = await startLocalStack({ dataDir: process.env.DATA_DIR ?? '.data', port: 0 });
  baseUrl = started.url;
}

try {
  // The typed client generated from the API's OpenAPI document (npm run generate:client).
  const inspector = lettersApi(baseUrl, await token('inspector', 'Simon Rushall'));
  const manager = lettersApi(baseUrl, await token('manager', 'Demo Manager'));
  const example = JSON.parse(readFileSync(exampleFile, 'utf8')) as components['schemas']['LetterInput'];
  const letter = ok('create', await inspector.POST('/api/letters', { body: example }));
  const path = { params: { path: { id: letter.id } } };
  console.log(`1. Created draft ${letter.id} (${letter.findings.length} findings)`);
  const submitted = ok('submit', await inspector.POST('/api/letters/{id}/submit', path));
  console.log(`2. Submitted at version ${submitted.version}`);
  ok('approve', await manager.POST('/api/letters/{id}/approve', { ...path, body: { version: submitted.version } }));
  console.log('3. Approved; rendering and distribution follow');

  const deadline = Date.now() + 60_000;
  // A manager reads the whole letter; the document also allows a reader's archived view, with the same status, PDF and deliveries.
  let current: Pick<typeof submitted, 'status' | 'pdf' | 'deliveries'> = submitted;
  while (current.status !== 'distributed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    current = ok('read', await manager.GET('/api/letters/{id}', path));
  }
  if (current.status !== 'distributed' || !current.pdf) throw new Error(`the letter is still ${current.status} after a minute`);

  const link = ok('retrieve', await manager.GET('/api/letters/{id}/pdf', { params: { path: { id: letter.id }, header: { Accept: 'application/json' } } }));
  console.log(`4. Rendered: ${current.pdf.pages} pages, ${current.pdf.bytes} bytes
   S3 key   ${current.pdf.key}
   SHA-256  ${current.pdf.sha256}
   Download ${link.url}
     (a presigned URL, valid for ${link.expiresInSeconds / 60} minutes)`);
  const { messages: outbox } = await dev<{ messages: { messageId: string; attachments: { sha256: string }[] }[] }>('GET', '/dev/outbox');
  console.log('5. Distributed:');
  for (const [role, delivery] of Object.entries(current.deliveries)) {
    if (!delivery) continue;
    const message = outbox.find((m) => m.messageId === delivery.messageId);
    const same = message?.attachments[0]?.sha256 === current.pdf.sha256 ? 'attachment SHA-256 matches the archive' : 'ATTACHMENT DIFFERS';
    console.log(`   ${role.padEnd(15)} ${delivery.email.padEnd(36)} ${delivery.state.padEnd(9)} ${delivery.messageId}  ${same}`);
  }
  console.log(`\nThe outbox: ${baseUrl}/dev/outbox.html   The letter: ${baseUrl}/letters/${letter.id}   The API: ${baseUrl}/api/docs`);
} finally {
  await started?.stop();
}
