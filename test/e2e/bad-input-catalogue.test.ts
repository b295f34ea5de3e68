import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../lambdas/local/local-issuer';
import { addCouncil, approve, eventually, getBytes, rawRequest } from '../support/pipeline-helpers';
import { ApiClient, exampleLetter, startTestStack, type TestStack } from '../support/stack';

/**
 * Hostile and mistaken requests, one test each. Every one must get a 4xx problem document
 * naming what is wrong, and leave every stored letter exactly as it was.
 */

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
let reader: ApiClient;

// Letters of this run carry a council name no other file uses, so a search finds only them.
const COUNCIL = `Catalogue Council ${Date.now().toString(36)}`;
const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/** Fixtures, one per state a request may find a letter in. */
const fx = {
  draft: { id: '', version: 0, findingId: '' },
  /** A draft that would print 21 pages: twenty findings of thirty short lines. */
  long: { id: '', version: 0 },
  /** The longest letter allowed: nineteen such findings, twenty pages. */
  twenty: { id: '', version: 0 },
  empty: { id: '', version: 0 },
  submitted: { id: '', version: 0 },
  archived: { id: '', version: 0 },
};

/** Durham's directory entry as the example letter gives it. */
function directoryEntry() {
  const { director, chiefExecutive } = exampleLetter().recipients;
  return { name: 'Durham County Council', director, chiefExecutive };
}

/** The example letter for this council, optionally changed by `edit`. */
function letterBody(edit: (l: Record<string, any>) => void = () => {}) {
  const l = exampleLetter();
  l.authority.name = COUNCIL;
  edit(l);
  return l;
}

interface Reply {
  status: number;
  contentType: string | null;
  body: any;
}

const fromApi = (r: { status: number; headers: Headers; body: any }): Reply => ({
  status: r.status,
  contentType: r.headers.get('content-type'),
  body: r.body,
});

const fromRaw = (r: { status: number; headers: Record<string, unknown>; body: any }): Reply => ({
  status: r.status,
  contentType: (r.headers['content-type'] as string) ?? null,
  body: r.body,
});

const json = (client: ApiClient, method: string, path: string, body: string, headers: Record<string, string> = {}) =>
  client.request(method, path, { body, headers: { 'Content-Type': 'application/json', ...headers } }).then(fromApi);

const post = (client: ApiClient, path: string, body?: unknown, headers?: Record<string, string>) => client.post(path, body, headers).then(fromApi);
const patch = (client: ApiClient, path: string, body: unknown, headers?: Record<string, string>) => client.patch(path, body, headers).then(fromApi);
const get = (client: ApiClient, path: string, headers?: Record<string, string>) => client.get(path, headers).then(fromApi);
const del = (client: ApiClient, path: string, headers?: Record<string, string>) => client.delete(path, headers).then(fromApi);
const withToken = (token: string) => new ApiClient(stack.url, token);
const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  rawRequest(stack.url, method, path, { Authorization: `Bearer ${inspector.token}`, ...headers }, body).then(fromRaw);

const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Signs a token with the local issuer's own key, so only the claims under test are wrong. */
async function signedByIssuer(claims: Record<string, unknown>, set: (jwt: SignJWT) => SignJWT = (j) => j) {
  const jwk = JSON.parse(readFileSync(join(stack.dataDir, 'issuer-key.json'), 'utf8')) as JWK;
  const jwt = new SignJWT({ name: 'Mallory', 'cognito:groups': ['manager'], ...claims }).setProtectedHeader({ alg: 'ES256', kid: jwk.kid });
  return set(jwt).sign(await importJWK(jwk, 'ES256'));
}

interface Case {
  name: string;
  send: () => Promise<Reply>;
  status: number;
  /** Fields the problem must name, where there is a field to name. */
  fields?: string[];
  /** A wrong value is not a missing one: the message must say what is wrong with it. */
  notRequired?: boolean;
}

const CASES: Case[] = [
  // The body as a whole
  { name: 'invalid JSON', send: () => json(inspector, 'POST', '/api/letters', '{"templateId": '), status: 400, fields: ['body'] },
  { name: 'JSON with a trailing comma', send: () => json(inspector, 'POST', '/api/letters', '{"summary": "x",}'), status: 400, fields: ['body'] },
  { name: 'an empty body where one is needed', send: () => json(inspector, 'POST', '/api/letters', ''), status: 400, fields: ['body'] },
  { name: 'a JSON array instead of an object', send: () => json(inspector, 'POST', '/api/letters', '[]'), status: 422, fields: ['body'] },
  { name: 'JSON null', send: () => json(inspector, 'POST', '/api/letters', 'null'), status: 422, fields: ['body'] },
  {
    name: 'deeply nested JSON',
    send: () => json(inspector, 'POST', '/api/letters', `{"summary": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`),
    status: 422,
    fields: ['summary'],
  },
  {
    name: 'a text/plain body',
    send: () => inspector.request('POST', '/api/letters', { body: JSON.stringify(letterBody()), headers: { 'Content-Type': 'text/plain' } }).then(fromApi),
    status: 415,
    fields: ['Content-Type'],
  },
  {
    name: 'a form-encoded body',
    send: () =>
      inspector.request('POST', '/api/letters', { body: 'summary=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).then(fromApi),
    status: 415,
    fields: ['Content-Type'],
  },
  {
    name: 'a body without a content type',
    send: () => raw('POST', '/api/letters', {}, JSON.stringify(letterBody())),
    status: 415,
    fields: ['Content-Type'],
  },
  {
    name: 'a body over the 128 KiB limit',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.summary = 'x'.repeat(200_000)))),
    status: 413,
    fields: ['body'],
  },
  {
    name: 'a body of 5 MB',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.summary = 'x'.repeat(5_000_000)))),
    status: 413,
    fields: ['body'],
  },

  // Fields that do not belong
  { name: 'an unknown field', send: () => post(inspector, '/api/letters', letterBody((l) => (l.colour = 'red'))), status: 422, fields: ['colour'] },
  {
    name: 'a nested unknown field',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.director.bcc = 'x@y.example'))),
    status: 422,
    fields: ['recipients.director.bcc'],
  },
  {
    name: 'a client-chosen id, status and version',
    send: () => post(inspector, '/api/letters', letterBody((l) => Object.assign(l, { id: UNKNOWN_ID, status: 'approved', version: 9 }))),
    status: 422,
    fields: ['id', 'status', 'version'],
  },
  {
    name: 'a __proto__ key',
    send: () => json(inspector, 'POST', '/api/letters', JSON.stringify(letterBody()).replace(/^\{/, '{"__proto__": {"role": "manager"},')),
    status: 422,
    fields: ['__proto__'],
  },
  {
    name: 'a status set through PATCH',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { status: 'approved' }, { 'If-Match': String(fx.draft.version) }),
    status: 422,
    fields: ['status'],
  },
  {
    name: 'findings replaced through PATCH',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { findings: [] }, { 'If-Match': String(fx.draft.version) }),
    status: 422,
    fields: ['findings'],
  },
  {
    name: 'a finding with its own id',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { id: UNKNOWN_ID, category: 'strength', text: 'x' }),
    status: 422,
    fields: ['id'],
  },

  // Missing and wrongly typed fields
  // A draft may leave out any fact but its council until it is submitted.
  { name: 'a missing council', send: () => post(inspector, '/api/letters', letterBody((l) => delete l.authority)), status: 422, fields: ['authority'] },
  {
    name: 'a missing nested field',
    send: () => post(inspector, '/api/letters', letterBody((l) => delete l.recipients.dfe.email)),
    status: 422,
    fields: ['recipients.dfe.email'],
  },
  { name: 'null for a section', send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority = null))), status: 422, fields: ['authority'], notRequired: true },
  { name: 'a number for text', send: () => post(inspector, '/api/letters', letterBody((l) => (l.summary = 42))), status: 422, fields: ['summary'], notRequired: true },
  { name: 'an object for the findings list', send: () => post(inspector, '/api/letters', letterBody((l) => (l.findings = {}))), status: 422, fields: ['findings'], notRequired: true },
  {
    name: 'a string for a yes/no field',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspection.previousInspection.developmentAreasAddressed = 'yes'))),
    status: 422,
    fields: ['inspection.previousInspection.developmentAreasAddressed'],
    notRequired: true,
  },
  {
    name: 'a string for the address lines',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.director.address = 'County Hall, Durham'))),
    status: 422,
    fields: ['recipients.director.address'],
    notRequired: true,
  },
  { name: 'an unknown template', send: () => post(inspector, '/api/letters', letterBody((l) => (l.templateId = '../../etc/passwd'))), status: 422, fields: ['templateId'] },
  {
    name: 'an unknown finding category',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { category: 'weakness', text: 'x' }),
    status: 422,
    fields: ['category'],
  },
  {
    name: 'an approval version given as text',
    send: () => post(manager, `/api/letters/${fx.submitted.id}/approve`, { version: String(fx.submitted.version) }),
    status: 422,
    fields: ['version'],
    notRequired: true,
  },
  {
    name: 'an approval version too big for a number',
    send: () => json(manager, 'POST', `/api/letters/${fx.submitted.id}/approve`, '{"version": 1e309}'),
    status: 422,
    fields: ['version'],
  },
  { name: 'an empty PATCH', send: () => patch(inspector, `/api/letters/${fx.draft.id}`, {}, { 'If-Match': String(fx.draft.version) }), status: 422, fields: ['body'] },
  { name: 'an empty finding edit', send: () => patch(inspector, `/api/letters/${fx.draft.id}/findings/${fx.draft.findingId}`, {}, { 'If-Match': String(fx.draft.version) }), status: 422, fields: ['body'] },
  { name: 'a return without a comment', send: () => post(manager, `/api/letters/${fx.submitted.id}/return`, {}), status: 422, fields: ['comment'] },
  { name: 'a submit with a stray body', send: () => post(inspector, `/api/letters/${fx.draft.id}/submit`, { force: true }), status: 422, fields: ['force'] },

  // Text too long, or not text
  { name: 'an over-long summary', send: () => post(inspector, '/api/letters', letterBody((l) => (l.summary = 'x'.repeat(2_001)))), status: 422, fields: ['summary'] },
  {
    name: 'an over-long council name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = 'C'.repeat(201)))),
    status: 422,
    fields: ['authority.name'],
  },
  {
    name: 'an over-long honorific',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.director.honorific = 'The Right Honourable Sir'))),
    status: 422,
    fields: ['recipients.director.honorific'],
  },
  {
    name: 'an over-long finding',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { category: 'strength', text: 'x'.repeat(3_001) }),
    status: 422,
    fields: ['text'],
  },
  {
    name: 'an over-long return comment',
    send: () => post(manager, `/api/letters/${fx.submitted.id}/return`, { comment: 'x'.repeat(2_001) }),
    status: 422,
    fields: ['comment'],
  },
  {
    name: 'more than 100 findings',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.findings = Array.from({ length: 101 }, () => ({ category: 'strength', text: 'x' }))))),
    status: 422,
    fields: ['findings'],
  },
  {
    // 12 findings of 3,000 three-byte characters: 108,000 bytes of UTF-8, in a body within its size limit.
    name: 'findings past the byte budget in all',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.findings = Array.from({ length: 12 }, () => ({ category: 'strength', text: '調'.repeat(3_000) }))))),
    status: 422,
    fields: ['findings'],
  },
  {
    name: 'more than six address lines',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.director.address = Array.from({ length: 7 }, (_, i) => `Line ${i}`)))),
    status: 422,
    fields: ['recipients.director.address'],
  },
  { name: 'a blank name', send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspector.name = '   '))), status: 422, fields: ['inspector.name'] },
  { name: 'a NUL byte in a name', send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspector.name = 'Simon\u0000Rushall'))), status: 422, fields: ['inspector.name'] },
  {
    name: 'a NUL byte in a finding',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { category: 'strength', text: 'Good\u0000work' }),
    status: 422,
    fields: ['text'],
  },
  { name: 'a bell character in the summary', send: () => post(inspector, '/api/letters', letterBody((l) => (l.summary = 'Ding\u0007'))), status: 422, fields: ['summary'] },
  {
    name: 'a line break in a one-line field',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = `${COUNCIL}\nBcc: x@y.z`))),
    status: 422,
    fields: ['authority.name'],
  },
  {
    name: 'a C1 control character in a name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.dfe.name = 'Andrew\u0085Spencer'))),
    status: 422,
    fields: ['recipients.dfe.name'],
  },
  {
    name: 'a right-to-left override in the council name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = `${COUNCIL} \u202Elicnuoc`))),
    status: 422,
    fields: ['authority.name'],
  },
  // Where letters go: the council directory and the configured DfE address
  {
    name: 'a DfE address other than the configured one',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.dfe.email = 'attacker@evil.example'))),
    status: 422,
    fields: ['recipients.dfe.email'],
    notRequired: true,
  },
  {
    name: "an inspector's director address that is not the directory's",
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.director.email = 'attacker@evil.example'))),
    status: 422,
    fields: ['recipients.director.email'],
    notRequired: true,
  },
  {
    name: "an inspector's changed chief executive on a draft",
    send: () =>
      patch(inspector, `/api/letters/${fx.draft.id}`, { recipients: { chiefExecutive: { ...exampleLetter().recipients.chiefExecutive, email: 'ce@evil.example' } } }, { 'If-Match': String(fx.draft.version) }),
    status: 422,
    fields: ['recipients.chiefExecutive.email'],
    notRequired: true,
  },
  {
    name: "a manager's changed address without a reason",
    send: () => post(manager, '/api/letters', letterBody((l) => (l.recipients.director.email = 'elsewhere@durham.example'))),
    status: 422,
    fields: ['recipients.reason'],
  },
  {
    name: 'a council that is not in the directory',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = 'Nowhere Borough Council'))),
    status: 422,
    fields: ['authority.name'],
    notRequired: true,
  },
  {
    name: 'a zero-width space in the council name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = `Catalogue\u200B ${COUNCIL.split(' ').slice(1).join(' ')}`))),
    status: 422,
    fields: ['authority.name'],
    notRequired: true,
  },
  {
    name: 'a soft hyphen in the council name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = COUNCIL.replace('Council', 'Coun\u00ADcil')))),
    status: 422,
    fields: ['authority.name'],
    notRequired: true,
  },
  {
    name: 'tag characters in the council name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = `${COUNCIL}\u{E0041}\u{E007F}`))),
    status: 422,
    fields: ['authority.name'],
    notRequired: true,
  },
  {
    name: 'a Cyrillic look-alike letter in the council name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.authority.name = COUNCIL.replace('Catalogue', 'C\u0430talogue')))),
    status: 422,
    fields: ['authority.name'],
    notRequired: true,
  },
  {
    name: 'a council search with a zero-width space',
    send: () => get(inspector, `/api/letters?authority=${encodeURIComponent(`Durham\u200B County Council`)}`),
    status: 422,
    fields: ['authority'],
    notRequired: true,
  },
  {
    name: 'a directory entry whose name does not give its code',
    send: () => manager.request('PUT', '/api/councils/durham-county-council', { json: { ...directoryEntry(), name: 'Darlington Borough Council' }, headers: { 'If-Match': '1' } }).then(fromApi),
    status: 422,
    fields: ['name'],
    notRequired: true,
  },
  {
    name: 'a change to a directory entry without If-Match',
    send: () => manager.request('PUT', '/api/councils/durham-county-council', { json: directoryEntry() }).then(fromApi),
    status: 428,
    fields: ['If-Match'],
  },
  {
    name: 'a change to a directory entry at a stale version',
    send: () => manager.request('PUT', '/api/councils/durham-county-council', { json: directoryEntry(), headers: { 'If-Match': '"7"' } }).then(fromApi),
    status: 412,
    fields: ['If-Match'],
    notRequired: true,
  },
  {
    name: 'a directory entry with an unknown field',
    send: () => manager.request('PUT', '/api/councils/durham-county-council', { json: { ...directoryEntry(), dfe: {} }, headers: { 'If-Match': '1' } }).then(fromApi),
    status: 422,
    fields: ['dfe'],
    notRequired: true,
  },
  {
    name: 'an inspector changing the directory',
    send: () => inspector.request('PUT', '/api/councils/durham-county-council', { json: directoryEntry(), headers: { 'If-Match': '1' } }).then(fromApi),
    status: 403,
  },
  { name: 'a reader reading the directory', send: () => get(reader, '/api/councils'), status: 403 },
  { name: 'a council code that is not one', send: () => get(manager, '/api/councils/Durham%20County'), status: 404 },
  {
    name: 'a bidi isolate in a finding',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { category: 'strength', text: 'Safe \u2066hidden\u2069 text' }),
    status: 422,
    fields: ['text'],
  },
  {
    name: 'a lone surrogate, which is not a character',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.summary = 'Broken \ud800 text'))),
    status: 422,
    fields: ['summary'],
  },

  // Dates
  {
    name: 'an inspection that ends before it starts',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspection.endDate = '2011-02-07'))),
    status: 422,
    fields: ['inspection.endDate'],
  },
  { name: 'a letter dated before the inspection', send: () => post(inspector, '/api/letters', letterBody((l) => (l.letterDate = '2011-02-01'))), status: 422, fields: ['letterDate'] },
  {
    name: 'a previous inspection after this one',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspection.previousInspection.month = '2011-06'))),
    status: 422,
    fields: ['inspection.previousInspection.month'],
  },
  { name: '31 February', send: () => post(inspector, '/api/letters', letterBody((l) => (l.letterDate = '2011-02-31'))), status: 422, fields: ['letterDate'] },
  {
    name: '29 February in a year that is not leap',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspection.startDate = '2011-02-29'))),
    status: 422,
    fields: ['inspection.startDate'],
  },
  { name: 'a thirteenth month', send: () => post(inspector, '/api/letters', letterBody((l) => (l.letterDate = '2011-13-01'))), status: 422, fields: ['letterDate'] },
  { name: 'a date written in words', send: () => post(inspector, '/api/letters', letterBody((l) => (l.letterDate = '9 March 2011'))), status: 422, fields: ['letterDate'] },
  {
    name: 'a date with a time',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.letterDate = '2011-03-09T00:00:00Z'))),
    status: 422,
    fields: ['letterDate'],
  },
  {
    name: 'a previous-inspection month 13',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.inspection.previousInspection.month = '2010-13'))),
    status: 422,
    fields: ['inspection.previousInspection.month'],
  },
  {
    name: 'a PATCH that puts the letter date before the inspection',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { letterDate: '2011-01-01' }, { 'If-Match': String(fx.draft.version) }),
    status: 422,
    fields: ['letterDate'],
  },

  // Email addresses
  {
    name: 'a malformed email',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.dfe.email = 'not-an-email'))),
    status: 422,
    fields: ['recipients.dfe.email'],
  },
  {
    name: 'an email that injects a Bcc header (CRLF)',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.director.email = 'a@b.com\r\nBcc: x@y.z'))),
    status: 422,
    fields: ['recipients.director.email'],
  },
  {
    name: 'an email that injects a Bcc header (LF)',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.chiefExecutive.email = 'a@b.com\nBcc: x@y.z'))),
    status: 422,
    fields: ['recipients.chiefExecutive.email'],
  },
  {
    name: 'two addresses in one field',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.dfe.email = 'a@b.com, x@y.example'))),
    status: 422,
    fields: ['recipients.dfe.email'],
  },
  {
    name: 'an address with a display name',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.dfe.email = '"Boss" <x@y.example>'))),
    status: 422,
    fields: ['recipients.dfe.email'],
  },
  {
    name: 'an over-long email',
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.recipients.dfe.email = `${'a'.repeat(64)}@${'b'.repeat(190)}.example`))),
    status: 422,
    fields: ['recipients.dfe.email'],
  },
  {
    name: "a malformed sender's email",
    send: () => post(inspector, '/api/letters', letterBody((l) => (l.sender.directEmail = 'ofsted@'))),
    status: 422,
    fields: ['sender.directEmail'],
  },

  // Ids and paths
  { name: 'an unknown letter id', send: () => get(inspector, `/api/letters/${UNKNOWN_ID}`), status: 404 },
  { name: 'a malformed letter id', send: () => get(inspector, '/api/letters/not-an-id'), status: 404 },
  { name: 'a lower-case letter id', send: () => get(inspector, `/api/letters/${fx.draft.id.toLowerCase()}`), status: 404 },
  { name: 'an over-long letter id', send: () => get(inspector, `/api/letters/${'A'.repeat(2_000)}`), status: 404 },
  // Local-only routes: a page on another site reaches them only through DNS rebinding, under its own host name.
  {
    name: 'a token asked for under a foreign Host',
    send: () => raw('POST', '/dev/token', { Host: 'attacker.example', 'Content-Type': 'application/json' }, JSON.stringify({ role: 'manager', name: 'Mallory' })),
    status: 421,
    fields: ['Host'],
  },
  { name: 'the outbox read under a foreign Host', send: () => raw('GET', '/dev/outbox', { Host: 'rebound.attacker.example:3000' }), status: 421, fields: ['Host'] },
  { name: 'the dead letters read under a foreign Host', send: () => raw('GET', '/dev/dead-letters', { Host: 'attacker.example' }), status: 421, fields: ['Host'] },
  {
    name: 'a token asked for with a text/plain body',
    send: () => raw('POST', '/dev/token', { 'Content-Type': 'text/plain' }, JSON.stringify({ role: 'manager', name: 'Mallory' })),
    status: 415,
    fields: ['Content-Type'],
  },
  { name: 'an id with a NUL byte', send: () => raw('GET', `/api/letters/${fx.draft.id}%00`), status: 404 },
  { name: 'encoded path traversal in an id', send: () => get(inspector, '/api/letters/..%2F..%2Fetc%2Fpasswd'), status: 404 },
  { name: 'double-encoded path traversal in an id', send: () => raw('GET', '/api/letters/..%252F..%252Fetc%252Fpasswd'), status: 404 },
  { name: 'plain path traversal', send: () => raw('GET', '/api/letters/../../etc/passwd'), status: 404 },
  { name: 'dot-segments written as %2e', send: () => raw('GET', '/api/letters/%2e%2e/%2e%2e/etc/passwd'), status: 404 },
  { name: 'backslash path traversal', send: () => raw('GET', '/api/letters/..\\..\\etc\\passwd'), status: 404 },
  {
    name: 'path traversal in a finding id',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}/findings/..%2F..%2F${fx.submitted.id}`, { text: 'x' }),
    status: 404,
  },
  {
    name: 'an unknown finding id',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}/findings/${UNKNOWN_ID}`, { text: 'x' }, { 'If-Match': String(fx.draft.version) }),
    status: 404,
  },
  {
    name: 'a finding of another letter',
    send: () => del(inspector, `/api/letters/${fx.empty.id}/findings/${fx.draft.findingId}`, { 'If-Match': String(fx.empty.version) }),
    status: 404,
  },
  { name: 'adding a finding to an unknown letter', send: () => post(inspector, `/api/letters/${UNKNOWN_ID}/findings`, { category: 'strength', text: 'x' }), status: 404 },
  { name: 'approving an unknown letter', send: () => post(manager, `/api/letters/${UNKNOWN_ID}/approve`, { version: 1 }), status: 404 },

  // Versions
  {
    name: 'a PATCH without If-Match',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { summary: 'No precondition.' }),
    status: 428,
    fields: ['If-Match'],
  },
  {
    name: 'a PATCH at a stale version',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { summary: 'Lost update.' }, { 'If-Match': `"${fx.draft.version - 1}"` }),
    status: 412,
    fields: ['If-Match'],
  },
  {
    name: 'a PATCH at a future version',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { summary: 'From the future.' }, { 'If-Match': 'W/"999"' }),
    status: 412,
    fields: ['If-Match'],
  },
  {
    name: 'a malformed If-Match',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}`, { summary: 'x' }, { 'If-Match': '"1" OR 1=1' }),
    status: 400,
    fields: ['If-Match'],
  },
  {
    name: 'a finding edit without If-Match',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}/findings/${fx.draft.findingId}`, { text: 'Changed blind.' }),
    status: 428,
    fields: ['If-Match'],
  },
  {
    name: 'a finding removed without If-Match',
    send: () => del(inspector, `/api/letters/${fx.draft.id}/findings/${fx.draft.findingId}`),
    status: 428,
    fields: ['If-Match'],
  },
  {
    name: 'a finding edited at a stale version',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}/findings/${fx.draft.findingId}`, { text: 'Changed late.' }, { 'If-Match': `"${fx.draft.version - 1}"` }),
    status: 412,
    fields: ['If-Match'],
  },
  {
    name: 'a finding deleted at a stale version',
    send: () => del(inspector, `/api/letters/${fx.draft.id}/findings/${fx.draft.findingId}`, { 'If-Match': `"${fx.draft.version - 1}"` }),
    status: 412,
    fields: ['If-Match'],
  },
  {
    name: 'an approval of a version the manager did not read',
    send: () => post(manager, `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version - 1 }),
    status: 412,
  },
  {
    name: 'an approval whose body version and If-Match disagree',
    send: () => post(manager, `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version }, { 'If-Match': `"${fx.submitted.version + 1}"` }),
    status: 412,
    fields: ['If-Match'],
  },
  {
    name: 'an approval with neither a version nor If-Match',
    send: () => post(manager, `/api/letters/${fx.submitted.id}/approve`, {}),
    status: 428,
    fields: ['If-Match', 'version'],
  },

  // Actions in the wrong state
  {
    name: 'editing a submitted letter',
    send: () => patch(inspector, `/api/letters/${fx.submitted.id}`, { summary: 'Too late.' }, { 'If-Match': String(fx.submitted.version) }),
    status: 409,
  },
  { name: 'adding a finding to a submitted letter', send: () => post(inspector, `/api/letters/${fx.submitted.id}/findings`, { category: 'strength', text: 'x' }), status: 409 },
  { name: 'submitting a submitted letter', send: () => post(inspector, `/api/letters/${fx.submitted.id}/submit`), status: 409 },
  { name: 'submitting a draft without findings', send: () => post(inspector, `/api/letters/${fx.empty.id}/submit`), status: 422, fields: ['findings'] },
  { name: 'approving a draft', send: () => post(manager, `/api/letters/${fx.draft.id}/approve`, { version: fx.draft.version }), status: 409 },
  { name: 'returning a draft', send: () => post(manager, `/api/letters/${fx.draft.id}/return`, { comment: 'Why?' }), status: 409 },
  {
    name: 'editing an archived letter',
    send: () => patch(manager, `/api/letters/${fx.archived.id}`, { summary: 'Rewrite history.' }, { 'If-Match': String(fx.archived.version) }),
    status: 409,
  },
  {
    name: 'editing a finding of an archived letter',
    send: () => patch(manager, `/api/letters/${fx.archived.id}/findings/${fx.draft.findingId}`, { text: 'x' }, { 'If-Match': String(fx.archived.version) }),
    status: 409,
  },
  { name: 'approving an archived letter again', send: () => post(manager, `/api/letters/${fx.archived.id}/approve`, { version: fx.archived.version }), status: 409 },
  { name: 'returning an archived letter', send: () => post(manager, `/api/letters/${fx.archived.id}/return`, { comment: 'Undo.' }), status: 409 },
  { name: 'redistributing when nothing failed', send: () => post(manager, `/api/letters/${fx.archived.id}/redistribute`), status: 409 },
  { name: 'redistributing a draft', send: () => post(manager, `/api/letters/${fx.draft.id}/redistribute`), status: 409 },
  { name: 'previewing an archived letter', send: () => get(manager, `/api/letters/${fx.archived.id}/preview`), status: 409 },
  { name: 'retrieving the PDF of a draft', send: () => get(inspector, `/api/letters/${fx.draft.id}/pdf`), status: 409 },

  // Roles
  { name: 'a reader creating a letter', send: () => post(reader, '/api/letters', letterBody()), status: 403 },
  { name: 'a reader reading a draft', send: () => get(reader, `/api/letters/${fx.draft.id}`), status: 404 },
  { name: 'a reader searching drafts', send: () => get(reader, '/api/letters?status=draft'), status: 403 },
  { name: 'a reader previewing a draft', send: () => get(reader, `/api/letters/${fx.draft.id}/preview`), status: 403 },
  { name: 'a reader adding a finding', send: () => post(reader, `/api/letters/${fx.draft.id}/findings`, { category: 'strength', text: 'x' }), status: 403 },
  { name: 'an inspector approving', send: () => post(inspector, `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version }), status: 403 },
  { name: 'an inspector returning', send: () => post(inspector, `/api/letters/${fx.submitted.id}/return`, { comment: 'Mine.' }), status: 403 },
  { name: 'an inspector redistributing', send: () => post(inspector, `/api/letters/${fx.archived.id}/redistribute`), status: 403 },

  // Tokens
  { name: 'no token', send: () => get(new ApiClient(stack.url, undefined), `/api/letters/${fx.draft.id}`), status: 401 },
  { name: 'a token in the query string', send: () => get(new ApiClient(stack.url, undefined), `/api/letters?access_token=${inspector.token}`), status: 401 },
  { name: 'a Basic credential', send: () => get(new ApiClient(stack.url, undefined), '/api/letters', { Authorization: 'Basic bWFsbG9yeTpwYXNz' }), status: 401 },
  { name: 'a token that is not a JWT', send: () => get(withToken('not.a.token'), '/api/letters'), status: 401 },
  {
    name: 'an expired token',
    send: async () => get(withToken(await stack.issuer.issue('manager', 'Old Token', -60)), `/api/letters/${fx.draft.id}`),
    status: 401,
  },
  {
    name: 'a token not valid yet',
    send: async () => get(withToken(await signedByIssuer({}, (j) => j.setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setSubject('m').setNotBefore('1h').setExpirationTime('2h'))), '/api/letters'),
    status: 401,
  },
  {
    name: 'a token signed by another key',
    send: async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ 'cognito:groups': ['manager'] })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject('mallory')
        .setExpirationTime('1h')
        .sign(privateKey);
      return post(withToken(forged), `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version });
    },
    status: 401,
  },
  {
    name: 'an unsigned token (alg none)',
    send: () => {
      const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'mallory', 'cognito:groups': ['manager'], exp: inAnHour() })}.`;
      return post(withToken(unsigned), `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version });
    },
    status: 401,
  },
  {
    name: 'a token signed with the public key as an HMAC secret',
    send: async () => {
      const jwk = JSON.parse(readFileSync(join(stack.dataDir, 'issuer-key.json'), 'utf8'));
      const { d: _d, ...publicJwk } = jwk;
      const forged = await new SignJWT({ 'cognito:groups': ['manager'] })
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject('mallory')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
      return post(withToken(forged), `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version });
    },
    status: 401,
  },
  {
    name: 'a token with a tampered role',
    send: async () => {
      const [header, , signature] = (await stack.issuer.issue('reader', 'Rhys Reader')).split('.');
      const payload = encode({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'local:reader:rhys-reader', 'cognito:groups': ['manager'], exp: inAnHour() });
      return post(withToken(`${header}.${payload}.${signature}`), `/api/letters/${fx.submitted.id}/approve`, { version: fx.submitted.version });
    },
    status: 401,
  },
  {
    name: 'a token for another audience',
    send: async () => get(withToken(await signedByIssuer({}, (j) => j.setIssuer(LOCAL_ISSUER).setAudience('another-service').setSubject('m').setExpirationTime('1h'))), '/api/letters'),
    status: 401,
  },
  {
    name: 'a token from another issuer',
    send: async () => get(withToken(await signedByIssuer({}, (j) => j.setIssuer('https://evil.example').setAudience(LOCAL_AUDIENCE).setSubject('m').setExpirationTime('1h'))), '/api/letters'),
    status: 401,
  },
  {
    name: 'a token without a subject',
    send: async () => get(withToken(await signedByIssuer({}, (j) => j.setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setExpirationTime('1h'))), '/api/letters'),
    status: 401,
  },
  {
    name: 'a valid token that holds no role',
    send: async () =>
      get(withToken(await signedByIssuer({ 'cognito:groups': ['admin'] }, (j) => j.setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setSubject('m').setExpirationTime('1h'))), '/api/letters'),
    status: 403,
  },

  // Query strings
  { name: 'an unknown status in a search', send: () => get(inspector, '/api/letters?status=deleted'), status: 422, fields: ['status'] },
  { name: 'an impossible date in a search', send: () => get(inspector, '/api/letters?from=2011-02-31'), status: 422, fields: ['from'] },
  { name: 'a search range that ends before it starts', send: () => get(inspector, '/api/letters?from=2012-01-01&to=2011-01-01'), status: 422, fields: ['to'] },
  { name: 'a search limit of 0', send: () => get(inspector, '/api/letters?limit=0'), status: 422, fields: ['limit'] },
  { name: 'a search limit of a million', send: () => get(inspector, '/api/letters?limit=1000000'), status: 422, fields: ['limit'] },
  { name: 'a search limit that is not a number', send: () => get(inspector, '/api/letters?limit=all'), status: 422, fields: ['limit'] },
  { name: 'an unknown search parameter', send: () => get(inspector, '/api/letters?admin=true'), status: 422, fields: ['admin'] },
  { name: 'a __proto__ search parameter', send: () => get(inspector, '/api/letters?__proto__=x'), status: 422, fields: ['__proto__'] },
  { name: 'an array-style search parameter', send: () => get(inspector, '/api/letters?status[]=draft'), status: 422, fields: ['status[]'] },
  { name: 'an over-long council search', send: () => get(inspector, `/api/letters?authority=${'x'.repeat(201)}`), status: 422, fields: ['authority'] },
  { name: 'a cursor that is not one', send: () => get(inspector, '/api/letters?cursor=garbage'), status: 400, fields: ['cursor'] },
  {
    name: 'a forged cursor for another index',
    send: () => get(inspector, `/api/letters?cursor=${encode({ i: 'byAuthority', k: { pk: 'LETTER#x', sk: 'LETTER' } })}`),
    status: 400,
    fields: ['cursor'],
  },
  {
    name: 'a forged cursor with an object for a key',
    send: () => get(inspector, `/api/letters?cursor=${encode({ i: 'byDate', k: { pk: { S: 'x' } } })}`),
    status: 400,
    fields: ['cursor'],
  },
  // Limits a real letter never reaches and a padded one always does
  {
    name: 'a finding of 31 lines',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { category: 'strength', text: thirtyLines(31) }),
    status: 422,
    fields: ['text'],
  },
  {
    name: 'a finding with two blank lines in a row',
    send: () => post(inspector, `/api/letters/${fx.draft.id}/findings`, { category: 'strength', text: 'First paragraph.\n\n\nSecond paragraph.' }),
    status: 422,
    fields: ['text'],
  },
  {
    name: 'a finding edited to blank lines of spaces',
    send: () => patch(inspector, `/api/letters/${fx.draft.id}/findings/${fx.draft.findingId}`, { text: 'Padded.\n  \n\t\nOut.' }, { 'If-Match': String(fx.draft.version) }),
    status: 422,
    fields: ['text'],
  },
  { name: 'the render bomb: twenty findings of 2,998 line breaks', send: () => post(inspector, '/api/letters', bombLetter()), status: 422, fields: ['findings[0].text', 'findings[19].text'] },
  { name: 'submitting a letter that would print 21 pages', send: () => post(inspector, `/api/letters/${fx.long.id}/submit`), status: 422, fields: ['pages'] },
  { name: 'a DRAFT PDF of a letter that would print 21 pages', send: () => get(inspector, previewPdf(fx.long.id)), status: 422, fields: ['pages'] },

  // Cursors are sealed to the search that made them
  { name: 'a forged cursor of the right index with a made-up key', send: () => get(inspector, `/api/letters?cursor=${encode({ i: 'byDate', k: { pk: 'x' } })}`), status: 400, fields: ['cursor'] },
  { name: 'a forged cursor with an empty key', send: () => get(inspector, `/api/letters?cursor=${encode({ i: 'byDate', k: {} })}`), status: 400, fields: ['cursor'] },
  { name: 'a real cursor with one character changed', send: async () => get(inspector, `/api/letters?limit=1&cursor=${tampered(await realCursor(''))}`), status: 400, fields: ['cursor'] },
  {
    name: "a real cursor with another search's seal",
    send: async () => {
      const [payload] = (await realCursor('')).split('.');
      const [, seal] = (await realCursor('&status=draft')).split('.');
      return get(inspector, `/api/letters?limit=1&cursor=${payload}.${seal}`);
    },
    status: 400,
    fields: ['cursor'],
  },
  { name: 'a real cursor of one council used for all letters', send: async () => get(inspector, `/api/letters?limit=1&cursor=${await realCursor('')}`), status: 400, fields: ['cursor'] },
  {
    name: 'a real cursor of the drafts used for submitted letters',
    send: async () => get(inspector, `/api/letters?limit=1&status=submitted&cursor=${await realCursor('&status=draft')}`),
    status: 400,
    fields: ['cursor'],
  },

  // A letter's history and access log page with cursors sealed to that letter and listing
  {
    name: "a history cursor of another letter",
    send: async () => {
      const cursor = (await manager.get(`/api/letters/${fx.archived.id}/history?limit=1`)).body.nextCursor;
      return get(inspector, `/api/letters/${fx.draft.id}/history?cursor=${encodeURIComponent(cursor)}`);
    },
    status: 400,
    fields: ['cursor'],
  },
  {
    name: 'a made-up access-log cursor',
    send: () => get(manager, `/api/letters/${fx.archived.id}/access?cursor=${encode({ pk: `LETTER#${fx.draft.id}`, sk: 'ACCESS#x' })}`),
    status: 400,
    fields: ['cursor'],
  },
  { name: 'a history page of none', send: () => get(inspector, `/api/letters/${fx.draft.id}/history?limit=0`), status: 422, fields: ['limit'] },
  { name: 'a hash to verify that is not 64 hex digits', send: () => get(new ApiClient(stack.url, undefined), '/api/verify/abc'), status: 400, fields: ['sha256'] },
  { name: 'an unknown preview format', send: () => get(inspector, `/api/letters/${fx.draft.id}/preview?format=exe`), status: 422, fields: ['format'] },
  { name: 'a preview with an unknown parameter', send: () => get(inspector, `/api/letters/${fx.draft.id}/preview?template=../../etc/passwd`), status: 422, fields: ['template'] },
];

/** Thirty (or n) short lines, every other one blank: a finding as tall as the schema allows. */
function thirtyLines(n = 30) {
  return Array.from({ length: n }, (_, i) => (i % 2 ? '' : `Line ${i + 1} of the finding.`)).join('\n');
}

/** The letter of the attack: inside every other limit, and over a thousand pages if it printed. */
const bombLetter = () => letterBody((l) => (l.findings = Array.from({ length: 20 }, () => ({ category: 'strength', text: `a${'\n'.repeat(2998)}a` }))));

const previewPdf = (id: string) => `/api/letters/${id}/preview.pdf`;

/** A cursor the API really returned, for a search of this run's council (plus `extra`), one letter a page. */
async function realCursor(extra: string): Promise<string> {
  const page = await inspector.get(`/api/letters?authority=${encodeURIComponent(COUNCIL)}&limit=1${extra}`);
  expect(page.body.nextCursor).toEqual(expect.any(String));
  return page.body.nextCursor;
}

/** The cursor with one character of its position changed. */
function tampered(cursor: string): string {
  const i = Math.floor(cursor.indexOf('.') / 2);
  return `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
}

/** Every letter there is, by id, with the parts a bad request must not change. */
async function register(): Promise<Record<string, unknown>> {
  const letters: Record<string, unknown> = {};
  let cursor: string | undefined;
  do {
    const page = await manager.get(`/api/letters?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    for (const item of page.body.items) letters[item.id] = { status: item.status, version: item.version, findings: item.findings };
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return letters;
}

/** One letter in full, with its latest events: a read adds nothing to either. */
async function snapshot(id: string) {
  return (await manager.get(`/api/letters/${id}`)).body;
}

/** Everything a bad request must leave as it was: every letter, the fixtures in full, search, the outbox. */
async function storedState() {
  const [letters, fixtures, councilLetters, outbox, directory] = await Promise.all([
    register(),
    Promise.all(Object.values(fx).map((f) => snapshot(f.id))),
    searchCouncil(),
    stack.outbox(),
    manager.get('/api/councils?limit=100').then((r) => r.body),
  ]);
  return { letters, fixtures, councilLetters, emails: outbox.length, directory };
}

/** The state after the fixtures were made; every case must leave it exactly so. */
let before: Awaited<ReturnType<typeof storedState>>;

/** The ids a search by this run's council finds. */
async function searchCouncil(): Promise<string[]> {
  const search = await manager.get(`/api/letters?authority=${encodeURIComponent(COUNCIL)}&limit=100`);
  return search.body.items.map((i: { id: string }) => i.id).sort();
}

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector', 'Ivy Inspector');
  manager = await stack.as('manager', 'Mo Manager');
  reader = await stack.as('reader', 'Rhys Reader');
  await addCouncil(manager, COUNCIL, exampleLetter().recipients);

  // A draft edited once, so a stale version exists.
  const draft = (await inspector.post('/api/letters', letterBody())).body;
  const edited = (await inspector.patch(`/api/letters/${draft.id}`, { summary: 'Edited once.' }, { 'If-Match': '1' })).body;
  fx.draft = { id: edited.id, version: edited.version, findingId: edited.findings[0].id };
  const long = (await inspector.post('/api/letters', letterBody((l) => (l.findings = Array.from({ length: 20 }, () => ({ category: 'strength', text: thirtyLines() })))))).body;
  fx.long = { id: long.id, version: long.version };
  const twenty = (await inspector.post('/api/letters', letterBody((l) => (l.findings = Array.from({ length: 19 }, () => ({ category: 'strength', text: thirtyLines() })))))).body;
  fx.twenty = { id: twenty.id, version: twenty.version };
  const empty = (await inspector.post('/api/letters', letterBody((l) => (l.findings = [])))).body;
  fx.empty = { id: empty.id, version: empty.version };
  const toSubmit = (await inspector.post('/api/letters', letterBody())).body;
  const submitted = (await inspector.post(`/api/letters/${toSubmit.id}/submit`)).body;
  fx.submitted = { id: submitted.id, version: submitted.version };
  const toArchive = (await inspector.post('/api/letters', letterBody())).body;
  const archived = (await inspector.post(`/api/letters/${toArchive.id}/submit`)).body;
  await approve(manager, archived);
  await stack.queue.idle();
  // The local SES reports each copy delivered a moment later; the state compared is the one after.
  const settled = await eventually(async () => {
    const l = (await manager.get(`/api/letters/${archived.id}`)).body;
    return Object.values(l.deliveries).every((d: any) => d.state === 'delivered') ? l : undefined;
  }, 'the delivery events');
  expect(settled.status).toBe('distributed');
  fx.archived = { id: settled.id, version: settled.version };
  expect(await searchCouncil()).toEqual(Object.values(fx).map((f) => f.id).sort());
  before = await storedState();
});

afterAll(async () => {
  await stack?.destroy();
});

describe('the bad-input catalogue', () => {
  it('has at least 40 cases, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(`answers ${c.status} to ${c.name}, changing nothing`, async () => {
      const reply = await c.send();

      expect(reply.status).toBe(c.status);
      expect(reply.contentType).toBe('application/problem+json');
      expect(reply.body).toMatchObject({ status: c.status, title: expect.any(String), detail: expect.any(String) });
      expect(reply.body.title.length).toBeGreaterThan(0);
      expect(reply.body.detail.length).toBeGreaterThan(0);
      if (c.fields) {
        expect(reply.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(c.fields));
        for (const e of reply.body.errors) expect(e.message).toEqual(expect.any(String));
      }
      if (c.notRequired) {
        const messages = reply.body.errors.filter((e: { field: string }) => c.fields!.includes(e.field)).map((e: { message: string }) => e.message);
        expect(messages).not.toContain('is required');
      }

      // Compared with the state before the first case, not the one before this case: no case may change anything.
      await stack.queue.idle();
      const after = await storedState();
      expect(after.letters).toEqual(before.letters);
      expect(after.fixtures).toEqual(before.fixtures);
      expect(after.councilLetters).toEqual(before.councilLetters);
      expect(after.emails).toBe(before.emails);
    });
  }
});

/** Requests that must not cost anyone else their time, nor change a session they do not hold. */
describe('hostile requests that must finish quickly, or change nothing', () => {
  const timed = async <T>(work: () => Promise<T>) => {
    const started = Date.now();
    const result = await work();
    return { result, ms: Date.now() - started };
  };

  it('refuses the render bomb at once, and an innocent preview alongside takes its usual time', async () => {
    // Prepare: the innocent preview's usual time, warm.
    const innocent = await stack.as('inspector', 'Ines Innocent');
    const attacker = await stack.as('inspector', 'Mallory Padding');
    expect((await getBytes(innocent, previewPdf(fx.draft.id))).status).toBe(200);
    const usual = await timed(() => getBytes(innocent, previewPdf(fx.draft.id)));
    expect(usual.result.status).toBe(200);

    // Act: three bombs and the longest preview the limits allow, with the innocent preview among them.
    const [bombs, heavy, alongside] = await Promise.all([
      Promise.all([1, 2, 3].map(() => timed(() => post(attacker, '/api/letters', bombLetter())))),
      timed(() => getBytes(attacker, previewPdf(fx.twenty.id))),
      timed(() => getBytes(innocent, previewPdf(fx.draft.id))),
    ]);

    // Assess
    for (const bomb of bombs) {
      expect(bomb.result.status).toBe(422);
      expect(bomb.ms).toBeLessThan(2_000);
    }
    expect(heavy.result.status).toBe(200);
    expect(alongside.result.status).toBe(200);
    expect(alongside.ms).toBeLessThan(usual.ms + 2_000);
    expect(await searchCouncil()).toEqual(before.councilLetters);
  });

  it('lets a person have one preview in flight, answering 429 with Retry-After to the next', async () => {
    const impatient = await stack.as('inspector', 'Ivor Impatient');
    const other = await stack.as('inspector', 'Olive Other');
    const replies = await Promise.all([
      getBytes(impatient, previewPdf(fx.twenty.id)),
      getBytes(impatient, previewPdf(fx.twenty.id)),
      getBytes(other, previewPdf(fx.twenty.id)),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    const refused = replies.find((r) => r.status === 429)!;
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(replies[2]!.status).toBe(200);
    // The slot is given back: the next preview is drawn.
    expect((await getBytes(impatient, previewPdf(fx.twenty.id))).status).toBe(200);
  });

  it('answers a forged cursor on the letters page with the page, not an error', async () => {
    const cookie = `letters_session=${inspector.token}`;
    const page = await rawRequest(stack.url, 'GET', `/letters?cursor=${encode({ i: 'byDate', k: { pk: 'x' } })}`, { Cookie: cookie });
    expect(page.status).toBe(400);
    expect(page.text).toContain('is not a cursor returned by this search');
  });

  it('signs nobody out on a GET, or on a post without the CSRF token', async () => {
    const cookie = `letters_session=${inspector.token}`;
    const shown = await rawRequest(stack.url, 'GET', '/sign-out', { Cookie: cookie });
    expect(shown.status).toBe(200);
    expect(shown.headers['set-cookie']).toBeUndefined();
    const forged = await rawRequest(
      stack.url,
      'POST',
      '/sign-out',
      { Cookie: cookie, Origin: stack.url, 'Content-Type': 'application/x-www-form-urlencoded' },
      'csrfToken=guess',
    );
    expect(forged.status).toBe(403);
    expect(forged.headers['set-cookie']).toBeUndefined();
    expect((await rawRequest(stack.url, 'GET', '/letters', { Cookie: cookie })).status).toBe(200);
  });

  it('never shows text from the address on the sign-in callback', async () => {
    const planted = 'Your account is locked: call 0800 000 000';
    const reply = await rawRequest(stack.url, 'GET', `/auth/callback?error=${encodeURIComponent(planted)}&error_description=${encodeURIComponent(planted)}`);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.text).not.toContain('0800');
  });
});
