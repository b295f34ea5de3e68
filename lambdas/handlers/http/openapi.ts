import { OpenApiGeneratorV31, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { LETTER_STATUSES } from '../../core/letter';
import {
  AddressFixInput,
  ApproveInput,
  councilName,
  DATE_RULES,
  FindingPatch,
  FindingsInput,
  isoDate,
  LetterBody,
  LetterPatch,
  LIMITS,
  MoveInput,
  ReturnInput,
  WithdrawInput,
} from '../../core/letter-schema';
import { AccessPage, ArchivedLetterView, FindingView, HistoryPage, IntegrityView, LetterPage, LetterView, VerificationView } from './letter-view';
import { CouncilListQuery, CouncilPageView, CouncilView } from './council-routes';
import { CouncilInput } from '../../core/council';
import { ProblemSchema } from './problem';

// The API's contract. Each operation below is documented once, from the same zod schemas that
// validate requests and type responses. To add a route: add its Hono handler, add its entry to
// OPERATIONS, and the tests hold the two together (test/e2e/openapi-contract.test.ts checks
// every route is documented; every response the end-to-end tests receive is validated against
// the served document).

export const ListQuery = z
  .strictObject({
    authority: councilName.optional().openapi({
      description: "The council's name, matched exactly once case, spacing and Unicode form are normalised; invisible characters and mixed alphabets are refused.",
      example: 'Durham County Council',
    }),
    status: z.enum(LETTER_STATUSES).optional(),
    from: isoDate.optional().openapi({ description: 'Letters dated on or after this day.' }),
    to: isoDate.optional().openapi({ description: 'Letters dated on or before this day; on or after `from`.' }),
    delivery: z.enum(['problem']).optional().openapi({ description: '`problem`: only letters with a copy that bounced, drew a complaint or failed.' }),
    cursor: z.string().min(1).max(2_000).optional().openapi({ description: 'The `nextCursor` of the previous page, as given; any other value is a 400.' }),
    limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'Letters per page.' }),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must be on or after from' });

/** A page of a letter's history or access log. */
export const PageQuery = z.strictObject({
  cursor: z.string().min(1).max(2_000).optional().openapi({ description: 'The `nextCursor` (or `historyNext`) of the previous page, as given; any other value is a 400.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'Entries per page.' }),
});

export const PreviewQuery = z.strictObject({
  format: z.enum(['html', 'pdf']).default('html').openapi({ description: 'html (the default) or pdf.' }),
});

/** Submit and redistribute take no fields: an empty body, `{}`, or none at all. */
export const EmptyBody = z.strictObject({}).openapi('EmptyBody', { description: 'No fields; the body may also be left out.' });

export const PdfLink = z
  .strictObject({
    url: z.string().openapi({ format: 'uri', description: 'A presigned URL of the archived PDF.' }),
    expiresInSeconds: z.number().int().positive().max(300),
  })
  .openapi('PdfLink');

export const HealthResponse = z.strictObject({ status: z.literal('ok') }).openapi('Health');

/** Problem statuses, named as their components are. */
const PROBLEMS = {
  400: ['BadRequest', 'Malformed: invalid JSON, a malformed If-Match, or a cursor this search did not return. Changes nothing.'],
  401: ['Unauthorized', 'No bearer token, or one that is not valid. Answered with `WWW-Authenticate: Bearer`.'],
  403: ['Forbidden', 'The role may not do this, or four eyes forbid it. Changes nothing.'],
  404: ['NotFound', 'No letter (or finding) has that id. Changes nothing.'],
  409: ['Conflict', 'The letter is not in a state that allows this. Changes nothing.'],
  412: ['PreconditionFailed', 'If-Match (or the version in the body) is not the current version. Changes nothing.'],
  413: ['ContentTooLarge', `The body is over ${LIMITS.body} bytes (over 4 MiB on any route). Changes nothing.`],
  415: ['UnsupportedMediaType', 'The body is not sent as application/json. Changes nothing.'],
  422: ['UnprocessableContent', 'Fields are not valid; `errors` names each one. Changes nothing.'],
  428: ['PreconditionRequired', 'If-Match is required. Changes nothing.'],
  429: ['TooManyRequests', 'Too many requests: a DRAFT PDF of the same person still being made, or too many hash checks from one client in the current window. `Retry-After` says how many seconds to wait. Changes nothing.'],
  500: ['InternalError', 'Something failed on the server; the body holds only the correlation id to quote.'],
  503: ['ServiceUnavailable', 'The local stack is still starting.'],
} as const;
type ProblemStatus = keyof typeof PROBLEMS;

export const TAGS = [
  { name: 'Letters', description: 'Drafting letters: create, read, search and change them.' },
  { name: 'Findings', description: "A draft's findings, one at a time." },
  { name: 'Review', description: 'Submitting, returning and approving a letter. Approval freezes it and starts rendering and distribution.' },
  { name: 'Archive', description: 'Previews of drafts, the archived PDF, sending copies again, fixing an address, corrections and withdrawals.' },
  { name: 'Record', description: "A letter's chained record of events, its access log, the check of its integrity, and verification of a received PDF." },
  { name: 'Councils', description: "The council directory: where each council's letters go. The DfE copy's address is configuration, not here." },
  { name: 'Service', description: 'Health, and this document.' },
] as const;

export interface ApiOperation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** As OpenAPI writes it: `/api/letters/{id}`. */
  path: string;
  operationId: string;
  tag: (typeof TAGS)[number]['name'];
  summary: string;
  description?: string;
  /** Open operations need no token. */
  open?: boolean;
  request?: RouteConfig['request'];
  responses: Record<number, ResponseConfig>;
  /** The problems this operation can answer with, besides those its request implies (see problemsOf). */
  problems: ProblemStatus[];
}

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });
const correlated = { 'X-Correlation-Id': ref('headers', 'XCorrelationId') };
const versioned = { ETag: ref('headers', 'ETag'), ...correlated };

/** A JSON answer carrying the correlation id, and any other headers given. */
const jsonResponse = (description: string, schema: z.ZodType, headers: Record<string, unknown> = correlated): ResponseConfig => ({
  description,
  headers: headers as ResponseConfig['headers'],
  content: { 'application/json': { schema } },
});
/** A letter or council entry as JSON, its version in ETag. */
const versionedResponse =
  (schema: z.ZodType) =>
  (description: string, extraHeaders: Record<string, unknown> = {}): ResponseConfig =>
    jsonResponse(description, schema, { ...versioned, ...extraHeaders });
const letterResponse = versionedResponse(LetterView);
const jsonBody = (schema: z.ZodType, description?: string, required = true) => ({
  body: { description, required, content: { 'application/json': { schema } } },
});

const letterId = z.string().openapi({
  param: { name: 'id', in: 'path', description: 'The letter id: 26 characters of Crockford base 32 (a ULID). Any other value is a 404.' },
  example: '01JD8Z3B5W5N8V8F2S0C1X9Y7Q',
});
const findingId = z.string().openapi({
  param: { name: 'findingId', in: 'path', description: 'The finding id, a ULID. Any other value is a 404.' },
  example: '01JD8Z3B5W5N8V8F2S0C1X9Y7R',
});
const ifMatchDescription = 'The letter version last read, as sent in ETag: quoted, bare or weak (`"3"`, `3`, `W/"3"`).';
const ifMatchRequired = z.string().openapi({ param: { name: 'If-Match', in: 'header', required: true, description: `${ifMatchDescription} Required: 428 without it, 412 when stale.` }, example: '"3"' });
const ifNoneMatchHeader = z.string().optional().openapi({
  param: {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description:
      'ETags of the letter already held (`"7"`, or a list). Staff polling an approved letter are answered 304, with no body, while it is at that version: one small read instead of the letter and its events. Ignored for readers (their reads are recorded) and before approval (the recipients shown follow the council directory).',
  },
  example: '"7"',
});
const ifMatchOptional = z.string().optional().openapi({ param: { name: 'If-Match', in: 'header', required: false, description: `${ifMatchDescription} Optional: when sent, 412 if stale.` }, example: '"3"' });

const letterPath = { params: z.object({ id: letterId }) };

const councilCode = z.string().openapi({
  param: { name: 'code', in: 'path', description: "The council's name in lower-case words joined by hyphens. Any other value is a 404." },
  example: 'durham-county-council',
});
const ifMatchCouncil = z.string().optional().openapi({
  param: { name: 'If-Match', in: 'header', required: false, description: "The entry's version last read, as sent in ETag. Required to change an entry, left out to add one." },
  example: '"1"',
});
const councilResponse = versionedResponse(CouncilView);
const findingPath = { params: z.object({ id: letterId, findingId }) };

export const OPERATIONS: ApiOperation[] = [
  {
    method: 'get', path: '/health', operationId: 'getHealth', tag: 'Service', open: true,
    summary: 'Is the service up',
    description: 'Answers 200 once the service is ready (locally: once the emulators and queues have started).',
    responses: { 200: jsonResponse('Ready.', HealthResponse) },
    problems: [503],
  },
  {
    method: 'get', path: '/api/openapi.json', operationId: 'getOpenApiDocument', tag: 'Service', open: true,
    summary: 'This document',
    responses: {
      200: {
        description: 'The OpenAPI 3.1 document of this API.',
        headers: correlated as never,
        content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } } } } },
      },
    },
    problems: [],
  },
  {
    method: 'get', path: '/api/docs', operationId: 'getApiDocs', tag: 'Service', open: true,
    summary: 'A page to browse this document',
    description: 'Swagger UI, served by the service itself under a Content-Security-Policy that allows nothing from elsewhere.',
    responses: { 200: { description: 'The page.', headers: correlated as never, content: { 'text/html': { schema: { type: 'string' } } } } },
    problems: [],
  },
  {
    method: 'get', path: '/api/docs/{file}', operationId: 'getApiDocsFile', tag: 'Service', open: true,
    summary: 'A script, stylesheet or image of the docs page',
    request: { params: z.object({ file: z.string().openapi({ param: { name: 'file', in: 'path', description: 'One of the files the page links to.' }, example: 'swagger-ui.css' }) }) },
    responses: {
      200: {
        description: 'The file.',
        headers: { ...correlated, ETag: { description: 'The file version.', schema: { type: 'string' }, required: true } } as never,
        content: {
          'text/javascript': { schema: { type: 'string' } },
          'text/css': { schema: { type: 'string' } },
          'image/png': { schema: { type: 'string', format: 'binary', contentMediaType: 'image/png' } },
        },
      },
      304: { description: 'Not modified: If-None-Match holds the current ETag.', headers: correlated as never },
    },
    problems: [404],
  },
  {
    method: 'post', path: '/api/letters', operationId: 'createLetter', tag: 'Letters',
    summary: 'Create a draft',
    description: `Inspectors and managers. The body is shaped like the example letter; its council must be in the council directory (422 naming \`authority.name\`), and its recipients may be left out (filled from the directory and configuration) or repeated. An inspector's recipients must be the directory's; a manager's may differ with \`recipients.reason\`; a DfE address other than the configured one is a 422. ${DATE_RULES} Findings may be given here or added later; at most ${LIMITS.findings}, their texts together at most ${LIMITS.findingsBytes} bytes of UTF-8 (422 naming \`findings\` past that); each finding at most ${LIMITS.findingText} characters and ${LIMITS.findingLines} lines, never two blank lines in a row.`,
    request: jsonBody(LetterBody),
    responses: { 201: letterResponse('The draft, at version 1.', { Location: ref('headers', 'Location') }) },
    problems: [],
  },
  {
    method: 'get', path: '/api/letters', operationId: 'listLetters', tag: 'Letters',
    summary: 'Search letters, newest first',
    description: 'By council, status, letter date and delivery problems, one page at a time. Current letters only, unless `status` names `superseded` or `withdrawn`. Readers see archived letters only (rendered or later; 403 when `status` names another). Unknown query parameters, and a parameter given twice, are refused with 422.',
    request: { query: ListQuery },
    responses: { 200: jsonResponse('A page of letters.', LetterPage) },
    problems: [400, 422],
  },
  {
    method: 'get', path: '/api/letters/{id}', operationId: 'getLetter', tag: 'Letters',
    summary: 'Read a letter',
    description: 'Readers find archived letters only (rendered or later): any other letter is a 404 to them, never a 403, and they are given the archive\'s part of it (`ArchivedLetter`: content as approved, approval, PDF, deliveries; no history, return comment or address overrides), and a reader\'s read goes to the access log. Staff get the latest 20 events of its record, newest first, and `historyNext` for GET …/history, with `addressDifferences` and the council entry the letter was read against. Staff reads and HEAD requests are not recorded. The response is the same size however often the letter is read.',
    request: { ...letterPath, headers: z.object({ 'If-None-Match': ifNoneMatchHeader }) },
    responses: {
      200: {
        description: 'The letter; ETag holds its version.',
        headers: versioned as ResponseConfig['headers'],
        content: { 'application/json': { schema: z.union([LetterView, ArchivedLetterView]) } },
      },
      304: {
        description: 'Not modified: If-None-Match holds the version of this approved letter as it is now. No body; ETag holds the version.',
        headers: versioned as ResponseConfig['headers'],
      },
    },
    problems: [404],
  },
  {
    method: 'patch', path: '/api/letters/{id}', operationId: 'updateLetter', tag: 'Letters',
    summary: 'Change fields of a draft',
    description: `Inspectors on the drafts they created, managers on any draft (403 otherwise); on a draft only (409 otherwise). Each field given replaces that whole field. ${DATE_RULES} The dates are checked on the letter as changed. Recipients may be left out or repeated; an inspector's must be the council directory's, a manager's may differ with \`recipients.reason\`; the DfE copy is always the configured one (422 naming each field otherwise).`,
    request: { ...letterPath, headers: z.object({ 'If-Match': ifMatchRequired }), ...jsonBody(LetterPatch) },
    responses: { 200: letterResponse('The letter as changed, at its new version.') },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/findings', operationId: 'addFinding', tag: 'Findings',
    summary: 'Add a finding, or several',
    description: `Inspectors on their own drafts, managers on any draft. The body is one finding, or an array of them added in one write, in order, all or none (a problem in one names it: \`[1].text\`). Each goes to the end of its category. Needs no If-Match: findings added at once all land. At most ${LIMITS.findings} findings (409 past that) and ${LIMITS.findingsBytes} bytes of finding text in all, counted in UTF-8 and held in the write's condition (422 naming \`findings\` past that). Answers with the letter; Location names the new finding (or, for several, the letter).`,
    request: { ...letterPath, ...jsonBody(FindingsInput) },
    responses: { 201: letterResponse('The letter with the new findings.', { Location: ref('headers', 'Location') }) },
    problems: [404, 409],
  },
  {
    method: 'patch', path: '/api/letters/{id}/findings/{findingId}', operationId: 'updateFinding', tag: 'Findings',
    summary: 'Edit a finding',
    description: `Inspectors and managers, on a draft, at the version last read (If-Match: 428 without it, 412 when stale). The finding texts together stay within ${LIMITS.findingsBytes} bytes of UTF-8 (422 naming \`findings\`).`,
    request: { ...findingPath, headers: z.object({ 'If-Match': ifMatchRequired }), ...jsonBody(FindingPatch) },
    responses: { 200: letterResponse('The letter with the finding changed.') },
    problems: [404, 409],
  },
  {
    method: 'delete', path: '/api/letters/{id}/findings/{findingId}', operationId: 'removeFinding', tag: 'Findings',
    summary: 'Remove a finding',
    description: 'Inspectors and managers, on a draft, at the version last read (If-Match: 428 without it, 412 when stale).',
    request: { ...findingPath, headers: z.object({ 'If-Match': ifMatchRequired }) },
    responses: { 200: letterResponse('The letter without the finding.') },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/findings/{findingId}/move', operationId: 'moveFinding', tag: 'Findings',
    summary: 'Move a finding within its category',
    description: 'Inspectors and managers, on a draft. `{"before": findingId}` puts it in front of another finding of its category; `{"before": null}` at the end of it. The letter prints its findings in this order. 422 naming `before` for a finding of another category or of no letter.',
    request: { ...findingPath, headers: z.object({ 'If-Match': ifMatchRequired }), ...jsonBody(MoveInput) },
    responses: { 200: letterResponse('The letter with its findings in their new order.') },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/submit', operationId: 'submitLetter', tag: 'Review',
    summary: 'Submit a draft for review',
    description: `Inspectors on their own drafts, managers on any (403 otherwise): draft → submitted. The letter needs every fact and at least one finding, and must print at most ${LIMITS.pages} pages: 422 names each thing missing or over (\`letterDate\`, \`recipients\`, \`findings\`, \`pages\`, …). Any earlier return comment is cleared. The body, if any, is \`{}\`.`,
    request: { ...letterPath, headers: z.object({ 'If-Match': ifMatchOptional }), ...jsonBody(EmptyBody, 'Nothing, or `{}`.', false) },
    responses: { 200: letterResponse('The submitted letter.') },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/return', operationId: 'returnLetter', tag: 'Review',
    summary: 'Return a submitted letter with a comment',
    description: `Any manager, its authors included: submitted → draft, with a comment for its authors. An approved letter the render stage refused for printing more than ${LIMITS.pages} pages (history \`render-refused\`) is returned the same way, its approval removed, so that its authors can shorten it; any other approved letter is a 409.`,
    request: { ...letterPath, headers: z.object({ 'If-Match': ifMatchOptional }), ...jsonBody(ReturnInput) },
    responses: { 200: letterResponse('The letter, a draft again.') },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/approve', operationId: 'approveLetter', tag: 'Review',
    summary: 'Approve a submitted letter at a version',
    description: `Managers: submitted → approved, at the version the manager read, given as \`version\` in the body or as If-Match (428 with neither; 412 when they disagree, or when the letter has changed since). Four eyes: the approving manager must not have created the letter, changed its content or addresses, submitted it, or changed its council's directory entry since it was created (403 saying which). A letter that would print more than ${LIMITS.pages} pages is a 422 naming \`pages\`. The recipients are frozen as the directory, any override and the configured DfE address then give them. Freezes a snapshot of the letter and queues its rendering; distribution follows. A correction whose letter was withdrawn meanwhile is a 409: it would go out in vain. The same manager repeating the same approval queues the render again and answers 202.`,
    request: { ...letterPath, headers: z.object({ 'If-Match': ifMatchOptional }), ...jsonBody(ApproveInput, '`{"version": n}`; may be left out when If-Match is sent.', false) },
    responses: { 202: letterResponse('Approved; rendering and distribution follow.') },
    problems: [404, 409, 428],
  },
  {
    method: 'get', path: '/api/letters/{id}/preview', operationId: 'previewLetter', tag: 'Archive',
    summary: 'Preview a draft as HTML',
    description: 'Inspectors and managers, on a draft or submitted letter (409 once approved: the archived PDF is at /pdf). The letter exactly as the template prints it, marked DRAFT, under a Content-Security-Policy that runs no script and loads nothing. `format=pdf` redirects to /preview.pdf.',
    request: { ...letterPath, query: PreviewQuery },
    responses: {
      200: {
        description: 'The preview as HTML.',
        headers: { ...correlated, 'Content-Security-Policy': { description: "The letter's own policy: inline styles, fonts and images only.", required: true, schema: { type: 'string' } } } as never,
        content: { 'text/html': { schema: { type: 'string' } } },
      },
      302: {
        description: 'With `format=pdf`: to /preview.pdf.',
        headers: { ...correlated, Location: ref('headers', 'Location') } as never,
      },
    },
    problems: [404, 409, 422],
  },
  {
    method: 'get', path: '/api/letters/{id}/preview.pdf', operationId: 'previewLetterPdf', tag: 'Archive',
    summary: 'Preview a draft as a DRAFT PDF',
    description: `Inspectors and managers, on a draft or submitted letter (409 once approved). Printed through the same renderer as the archive, with a DRAFT watermark on every page; never ahead of letters being archived. A letter that would print more than ${LIMITS.pages} pages is a 422 naming \`pages\`. One at a time per person: a second asked for while the first is being made answers 429 with \`Retry-After\`. On AWS a function of its own answers it.`,
    request: letterPath,
    responses: {
      200: {
        description: 'The DRAFT PDF.',
        headers: { ...correlated, 'Content-Disposition': { description: 'inline, with a file name.', required: true, schema: { type: 'string', example: 'inline; filename="draft-01JD8Z3B5W5N8V8F2S0C1X9Y7Q.pdf"' } } } as never,
        content: { 'application/pdf': { schema: { type: 'string', format: 'binary', contentMediaType: 'application/pdf' } } },
      },
    },
    problems: [404, 409, 422, 429],
  },
  {
    method: 'get', path: '/api/letters/{id}/pdf', operationId: 'retrieveLetterPdf', tag: 'Archive',
    summary: 'Retrieve the archived PDF',
    description: 'Everyone who may read the letter, once it is rendered (409 before; to a reader, 404). Redirects to a presigned S3 URL that expires within 5 minutes, or with `Accept: application/json` answers the URL itself; each retrieval is recorded in the access log.',
    request: { ...letterPath, headers: z.object({ Accept: z.string().optional().openapi({ param: { name: 'Accept', in: 'header', description: '`application/json` for the link as JSON instead of a redirect.' }, example: 'application/json' }) }) },
    responses: {
      200: jsonResponse('The link, when asked for as JSON.', PdfLink),
      302: {
        description: 'Redirect to the PDF.',
        headers: { ...correlated, Location: { description: 'A presigned URL of the PDF, valid for at most 5 minutes.', required: true, schema: { type: 'string', format: 'uri' } } } as never,
      },
    },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/redistribute', operationId: 'redistributeLetter', tag: 'Archive',
    summary: 'Send again the copies that did not arrive',
    description:
      'Managers, on a rendered or distributed letter (409 otherwise) with a copy that failed, or that bounced or drew a complaint and has had its address fixed since (409 when there is none): those copies go back to pending at their new address and distribution is queued. Four eyes: a manager who fixed the address of one of them gets 403; another manager sends it. The body, if any, is `{}`.',
    request: { ...letterPath, ...jsonBody(EmptyBody, 'Nothing, or `{}`.', false) },
    responses: { 202: letterResponse('Queued.') },
    problems: [404, 409],
  },
  {
    method: 'patch', path: '/api/letters/{id}/deliveries/{role}', operationId: 'fixDeliveryAddress', tag: 'Archive',
    summary: "Give a copy that did not arrive a new address",
    description:
      "Managers, on a rendered or distributed letter, for the director's or chief executive's copy that bounced, drew a complaint or failed (409 otherwise). The DfE's address comes from configuration: `dfe` is a 422 naming `role`. Records the new address and the reason beside the copy; the approved snapshot stays as it was. Another manager then redistributes.",
    request: {
      params: z.object({
        id: letterId,
        role: z.string().openapi({ param: { name: 'role', in: 'path', description: '`director` or `chiefExecutive`; `dfe` is a 422, anything else a 404.' }, example: 'director' }),
      }),
      ...jsonBody(AddressFixInput),
    },
    responses: { 200: letterResponse('The letter, its copy carrying the new address.') },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/correction', operationId: 'correctLetter', tag: 'Archive',
    summary: 'Start the correction of a distributed letter',
    description:
      'Inspectors and managers, on a distributed letter (409 otherwise), one correction at a time: while a correction of the letter is open (not yet distributed), starting another answers 409 naming it; once it is distributed, a further change is a correction of the correction. Creates a draft with the letter\'s content as approved and `supersedes` naming it. It goes through the same review; once it is distributed the original becomes `superseded` with `supersededBy`, the corrected PDF says in the letter which letter it replaces, and its covering email says it is a correction. The body, if any, is `{}`.',
    request: { ...letterPath, ...jsonBody(EmptyBody, 'Nothing, or `{}`.', false) },
    responses: { 201: letterResponse('The correction, a draft at version 1.', { Location: ref('headers', 'Location') }) },
    problems: [404, 409],
  },
  {
    method: 'post', path: '/api/letters/{id}/withdraw', operationId: 'withdrawLetter', tag: 'Archive',
    summary: 'Withdraw a distributed letter',
    description:
      'Managers, on a distributed letter (409 otherwise), with the reason. The letter becomes `withdrawn` and each recipient is emailed a short notice, exactly once; the archive stays as it was. A letter whose correction has been approved is on its way to being replaced: 409 naming the correction (withdraw that once it is sent). A correction still open when its letter is withdrawn can no longer be approved.',
    request: { ...letterPath, ...jsonBody(WithdrawInput) },
    responses: { 202: letterResponse('Withdrawn; the notices are queued.') },
    problems: [404, 409],
  },
  {
    method: 'get', path: '/api/letters/{id}/html', operationId: 'retrieveLetterHtml', tag: 'Archive',
    summary: 'Retrieve the archived accessible HTML',
    description: 'Everyone who may read the letter, once it is rendered (409 before; to a reader, 404). The HTML twin archived beside the PDF, byte for byte, under a Content-Security-Policy with `sandbox`: it runs no script and loads nothing. Each retrieval is recorded in the access log; HEAD is not.',
    request: letterPath,
    responses: { 200: { description: 'The archived HTML.', headers: correlated as never, content: { 'text/html': { schema: { type: 'string' } } } } },
    problems: [404, 409],
  },
  {
    method: 'get', path: '/api/letters/{id}/history', operationId: 'getLetterHistory', tag: 'Record',
    summary: "A page of the letter's events, newest first",
    description: "Inspectors and managers. Lifecycle and delivery events, each numbered from 1 and chained: its hash is the SHA-256 of the previous event's hash followed by its canonical JSON (RFC 8785). Start from the letter's `historyNext`, or without a cursor for the newest.",
    request: { ...letterPath, query: PageQuery },
    responses: { 200: jsonResponse('A page of events.', HistoryPage) },
    problems: [400, 404, 422],
  },
  {
    method: 'get', path: '/api/letters/{id}/access', operationId: 'getLetterAccessLog', tag: 'Record',
    summary: 'Who retrieved the letter, newest first',
    description: "Managers. PDF and HTML retrievals and readers' reads, kept beside the letter and outside its chained record; nothing here makes a read of the letter bigger.",
    request: { ...letterPath, query: PageQuery },
    responses: { 200: jsonResponse('A page of retrievals.', AccessPage) },
    problems: [400, 404, 422],
  },
  {
    method: 'get', path: '/api/letters/{id}/integrity', operationId: 'checkLetterIntegrity', tag: 'Record',
    summary: "Recompute the letter's chained record",
    description: "Managers. Recomputes every event's hash and link from the stored events, and compares the result with the head the letter keeps and, once rendered, the head archived in the manifest beside the PDF. `brokenAt` is the number of the first event that does not hold; `problem` says why a record whose archived manifest is missing or garbled is not valid.",
    request: letterPath,
    responses: { 200: jsonResponse('The result of the check.', IntegrityView) },
    problems: [404],
  },
  {
    method: 'get', path: '/api/verify/{sha256}', operationId: 'verifyPdf', tag: 'Record', open: true,
    summary: 'Which archived letter a PDF is, from its SHA-256',
    description: 'Open: anyone holding a copy may check it, without a token. 404 when no archived letter has a PDF with that hash. Each client may check a limited number of hashes per window (429 with Retry-After past it): an HTTP API cannot throttle per client, so the service counts.',
    request: { params: z.object({ sha256: z.string().openapi({ param: { name: 'sha256', in: 'path', description: "The PDF's SHA-256 as 64 hexadecimal digits (400 otherwise)." }, example: 'd7771a02c28d0f82d6b55bbfe9fd134287c3cc37a0f56b89d2a50f02a63dab29' }) }) },
    responses: { 200: jsonResponse('The letter.', VerificationView) },
    problems: [400, 404, 429],
  },
  {
    method: 'get', path: '/api/councils', operationId: 'listCouncils', tag: 'Councils',
    summary: 'The council directory, in code order',
    description: 'Inspectors and managers (readers: 403).',
    request: { query: CouncilListQuery },
    responses: { 200: jsonResponse('A page of councils.', CouncilPageView) },
    problems: [400, 422],
  },
  {
    method: 'get', path: '/api/councils/{code}', operationId: 'getCouncil', tag: 'Councils',
    summary: "A council's directory entry",
    description: 'Inspectors and managers. The entry, with who changed it last and when, and every change.',
    request: { params: z.object({ code: councilCode }) },
    responses: { 200: councilResponse('The entry; ETag holds its version.') },
    problems: [404],
  },
  {
    method: 'put', path: '/api/councils/{code}', operationId: 'putCouncil', tag: 'Councils',
    summary: 'Add a council, or change its entry',
    description:
      "Managers. Without If-Match, adds the entry (201; 428 if it exists already). With If-Match, changes it (200; 412 when stale or when there is no entry). The code must be the one the name gives: its words in lower case, joined by hyphens (422 naming `name` otherwise). Whoever changes an entry may not approve letters of that council created before the change.",
    request: { params: z.object({ code: councilCode }), headers: z.object({ 'If-Match': ifMatchCouncil }), ...jsonBody(CouncilInput) },
    responses: { 200: councilResponse('The entry as changed.'), 201: councilResponse('The entry as added.', { Location: ref('headers', 'Location') }) },
    problems: [428],
  },
];

/**
 * Every problem an operation can answer with: its own, and those its shape implies, so they are
 * said once. Any request may carry a body too large to read (413) or meet a failure (500); one
 * that needs a token may come without it (401) or from a role that may not (403); a JSON body
 * may be malformed (400), of another type (415) or not valid (422); If-Match may be malformed
 * (400), stale (412) and, where it is required, missing (428).
 */
export function problemsOf(op: ApiOperation): ProblemStatus[] {
  const implied: ProblemStatus[] = [413, 500];
  if (!op.open) implied.push(401, 403);
  if (op.request?.body) implied.push(400, 415, 422);
  const headers = op.request?.headers;
  const ifMatch = headers instanceof z.ZodObject ? (headers.shape as Record<string, z.ZodType>)['If-Match'] : undefined;
  if (ifMatch) implied.push(400, 412);
  if (ifMatch && !ifMatch.safeParse(undefined).success) implied.push(428);
  return [...new Set<ProblemStatus>([...op.problems, ...implied])].sort((a, b) => a - b);
}

/** The OpenAPI document, built from the same schemas that validate requests and type responses. */
export function openApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT whose groups claim holds inspector, manager or reader. Locally, POST /dev/token gives one.',
  });
  registry.register('Problem', ProblemSchema);
  registry.registerComponent('headers', 'ETag', {
    description: 'The letter version, quoted: send it back as If-Match.',
    required: true,
    schema: { type: 'string', pattern: '^"\\d+"$', example: '"3"' },
  });
  registry.registerComponent('headers', 'Location', {
    description: 'Where the created resource is.',
    required: true,
    schema: { type: 'string', format: 'uri-reference' },
  });
  registry.registerComponent('headers', 'XCorrelationId', {
    description: 'Identifies the request in the logs: the X-Correlation-Id the client sent (8 to 64 letters, digits, `_` or `-`), or one the service made.',
    required: true,
    schema: { type: 'string', pattern: '^[\\w-]{8,64}$' },
  });
  registry.registerComponent('headers', 'RetryAfter', {
    description: 'Seconds to wait before asking again.',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$', example: '2' },
  });
  registry.registerComponent('headers', 'WWWAuthenticate', {
    description: 'The authentication scheme to use.',
    required: true,
    schema: { type: 'string', example: 'Bearer' },
  });
  const correlationParam = registry.registerParameter(
    'XCorrelationId',
    z.string().regex(/^[\w-]{8,64}$/).optional().openapi({
      param: { name: 'X-Correlation-Id', in: 'header', description: 'Optional: carried into the logs and sent back. Another value is replaced with one the service makes.' },
      example: 'demo-7c9e6679',
    }),
  );
  for (const [status, [name, description]] of Object.entries(PROBLEMS)) {
    registry.registerComponent('responses', name, {
      description,
      headers: {
        ...correlated,
        ...(status === '401' ? { 'WWW-Authenticate': ref('headers', 'WWWAuthenticate') } : {}),
        ...(status === '429' ? { 'Retry-After': ref('headers', 'RetryAfter') } : {}),
      },
      content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } },
    });
  }

  for (const op of OPERATIONS) {
    const problems = problemsOf(op);
    const responses = { ...op.responses, ...Object.fromEntries(problems.map((s) => [s, ref('responses', PROBLEMS[s][0])])) };
    const headers = op.request?.headers;
    const route = {
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      description: op.description,
      ...(op.open ? { security: [] } : {}),
      request: {
        ...op.request,
        headers: [...(headers instanceof z.ZodObject ? Object.values(headers.shape as Record<string, z.ZodType>) : []), correlationParam],
      },
      responses,
    } satisfies RouteConfig;
    registry.registerPath(route);
    // Every GET also answers HEAD: the same status and headers, no body.
    if (op.method === 'get') {
      const withoutBodies = Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => [status, { description: r.description ?? '', headers: r.headers }]),
      );
      registry.registerPath({
        ...route,
        method: 'head',
        operationId: op.operationId.replace(/^(?:get)?(\w)/, (_, first: string) => `head${first.toUpperCase()}`),
        summary: `${op.summary}: headers only`,
        description: 'As GET, without the body.',
        responses: { ...responses, ...withoutBodies },
      });
    }
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Inspection letters',
      version: '1.0.0',
      description: [
        'Drafts, approval, PDF archive and statutory distribution of inspection outcome letters.',
        '',
        'Every operation needs `Authorization: Bearer <JWT>` except the open ones (health, this document and its page). Errors are `application/problem+json` documents naming each field at fault; a refused request changes nothing.',
        '',
        'Letters carry an integer `version`, raised by every change and sent as `ETag`. Text limits count characters after leading and trailing whitespace is removed. Unknown fields and unknown query parameters are refused, and so is a query parameter given twice (422).',
      ].join('\n'),
      license: { name: 'Not licensed for reuse', identifier: 'LicenseRef-not-licensed' },
    },
    servers: [{ url: '/', description: 'This service, where this document is served from.' }],
    security: [{ bearer: [] }],
    tags: TAGS.map((t) => ({ ...t })),
  });
}
