import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    redirect: 'manual',
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return { status: response.status, headers: response.headers, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

const token = async (role: string, name: string) => (await call('POST', '/dev/token', undefined, { role, name })).body.token as string;

if (!(await running(baseUrl))) {
  console.log(`No local stack at ${baseUrl}; starting one (data in ${process.env.DATA_DIR ?? '.data'}/)…`);
  started = await startLocalStack({ dataDir: process.env.DATA_DIR ?? '.data', port: 0 });
  baseUrl = started.url;
}

try {
  const inspector = await token('inspector', 'Simon Rushall');
  const manager = await token('manager', 'Demo Manager');
  const letter = (await call('POST', '/api/letters', inspector, JSON.parse(readFileSync(exampleFile, 'utf8')))).body;
  console.log(`1. Created draft ${letter.id} (${letter.findings.length} findings)`);
  const submitted = (await call('POST', `/api/letters/${letter.id}/submit`, inspector)).body;
  console.log(`2. Submitted at version ${submitted.version}`);
  await call('POST', `/api/letters/${letter.id}/approve`, manager, { version: submitted.version });
  console.log('3. Approved; rendering and distribution follow');

  const deadline = Date.now() + 60_000;
  let current = submitted;
  while (current.status !== 'distributed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    current = (await call('GET', `/api/letters/${letter.id}`, manager)).body;
  }
  if (current.status !== 'distributed') throw new Error(`the letter is still ${current.status} after a minute`);

  const link = await call('GET', `/api/letters/${letter.id}/pdf`, manager);
  console.log(`4. Rendered: ${current.pdf.pages} pages, ${current.pdf.bytes} bytes
   S3 key   ${current.pdf.key}
   SHA-256  ${current.pdf.sha256}
   Download ${link.headers.get('location')}
     (a presigned URL, valid for 5 minutes)`);
  const outbox = (await call('GET', '/dev/outbox', undefined)).body.messages as { messageId: string; to: string[]; subject: string; attachments: { filename: string; sha256: string }[] }[];
  const sent = Object.entries(current.deliveries as Record<string, { messageId: string; state: string; email: string }>);
  console.log('5. Distributed:');
  for (const [role, delivery] of sent) {
    const message = outbox.find((m) => m.messageId === delivery.messageId);
    const same = message?.attachments[0]?.sha256 === current.pdf.sha256 ? 'attachment SHA-256 matches the archive' : 'ATTACHMENT DIFFERS';
    console.log(`   ${role.padEnd(15)} ${delivery.email.padEnd(36)} ${delivery.state.padEnd(9)} ${delivery.messageId}  ${same}`);
  }
  console.log(`\nThe outbox: ${baseUrl}/dev/outbox.html   The letter: ${baseUrl}/letters/${letter.id}`);
} finally {
  await started?.stop();
}
