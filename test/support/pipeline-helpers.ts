import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { councilCode } from '../../lambdas/core/council-name';
import type { Address } from './outbox';
import { type ApiClient, exampleLetter, type TestStack } from './stack';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The DfE recipient the local stack is configured with: the example letter's. Every letter's DfE copy goes there. */
export const CONFIGURED_DFE = exampleLetter().recipients.dfe;

/**
 * Recipients whose director and chief executive addresses belong to one council only, so the
 * outbox can be counted per letter. The council must be in the directory with them: see addCouncil.
 */
export function recipientsFor(tag: string) {
  const safe = tag.toLowerCase().replace(/[^a-z0-9]/g, '');
  const recipients = exampleLetter().recipients;
  recipients.director.email = `director.${safe}@durham.example`;
  recipients.chiefExecutive.email = `chief.${safe}@durham.example`;
  return recipients;
}

/** Adds a council to the directory with these recipients, as a manager does through the API. */
export async function addCouncil(manager: ApiClient, name: string, recipients: ReturnType<typeof recipientsFor>) {
  const code = councilCode(name);
  const response = await manager.request('PUT', `/api/councils/${code}`, {
    json: { name, director: recipients.director, chiefExecutive: recipients.chiefExecutive },
  });
  if (response.status !== 201) throw new Error(`adding ${name} to the directory failed: ${response.status} ${response.text}`);
  return { name };
}

export const addressesOf = (recipients: ReturnType<typeof recipientsFor>, council: string): Address[] => [
  recipients.director.email,
  recipients.chiefExecutive.email,
  { email: recipients.dfe.email, council },
];

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Approves a submitted letter at its version; the stages behind the queue then take over. */
export async function approve(manager: ApiClient, letter: { id: string; version: number }) {
  const response = await manager.post(`/api/letters/${letter.id}/approve`, { version: letter.version });
  if (response.status !== 202) throw new Error(`approve failed: ${response.status} ${response.text}`);
  return response.body;
}

/** A GET whose body is kept as bytes (the JSON client reads bodies as text). */
export async function getBytes(client: ApiClient, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${client.baseUrl}${path}`, {
    headers: { ...(client.token ? { Authorization: `Bearer ${client.token}` } : {}), ...headers },
    redirect: 'manual',
  });
  const received = { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
  let body: unknown = received.bytes;
  if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(new TextDecoder().decode(received.bytes));
  await client.checkContract('GET', path, { status: received.status, headers: received.headers, body, size: received.bytes.length });
  return received;
}

/** Follows the API's presigned link to the archived PDF, as a reader would. */
export async function archivedPdfViaApi(client: ApiClient, id: string): Promise<Uint8Array> {
  const redirect = await client.get(`/api/letters/${id}/pdf`);
  if (redirect.status !== 302) throw new Error(`expected a redirect to the PDF, got ${redirect.status} ${redirect.text}`);
  const response = await fetch(redirect.headers.get('location')!);
  if (response.status !== 200) throw new Error(`presigned URL answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** An archived object read straight from the S3 emulator. */
export async function archivedObject(stack: TestStack, key: string): Promise<Buffer> {
  const object = await stack.deps.clients.s3.send(new GetObjectCommand({ Bucket: stack.deps.config.ARCHIVE_BUCKET, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

/**
 * Sends a request with its path exactly as written: fetch and URL normalise `..` segments
 * before sending, which would hide what a hostile client can put on the wire.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any = text;
        if (String(res.headers['content-type'] ?? '').includes('json') && text) parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
