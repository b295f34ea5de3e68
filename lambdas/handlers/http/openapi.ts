import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { LETTER_STATUSES } from '../../core/letter';
import { ApproveInput, FindingInput, FindingPatch, isoDate, LetterInput, LetterPatch, ReturnInput } from '../../core/letter-schema';

export const ListQuery = z
  .strictObject({
    authority: z.string().trim().min(1).max(200).optional(),
    status: z.enum(LETTER_STATUSES).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    cursor: z.string().min(1).max(2_000).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must be on or after from' });

/** The OpenAPI document, built from the same schemas that validate requests. */
export function openApiDocument(): object {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const Problem = registry.register(
    'Problem',
    z.object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      instance: z.string().optional(),
      correlationId: z.string().optional(),
      errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  );
  const Letter = registry.register(
    'Letter',
    z
      .object({ id: z.string(), status: z.enum(LETTER_STATUSES), version: z.number().int() })
      .catchall(z.unknown())
      .openapi({ description: 'The letter: its fields, status, version, findings with ids, pdf, deliveries and history.' }),
  );
  const id = z.string().openapi({ param: { name: 'id', in: 'path' }, example: '01JD8Z3B5W5N8V8F2S0C1X9Y7Q' });
  const findingId = z.string().openapi({ param: { name: 'findingId', in: 'path' } });
  const ifMatch = z.string().openapi({ param: { name: 'If-Match', in: 'header' }, example: '"3"' });
  const problems = Object.fromEntries(
    [400, 401, 403, 404, 409, 412, 413, 415, 422, 428].map((s) => [
      s,
      { description: 'Problem', content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );
  const json = (schema: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
  const body = (schema: z.ZodType) => ({ body: { content: { 'application/json': { schema } } } });
  const security = [{ [bearer.name]: [] }];
  const route = (method: 'get' | 'post' | 'patch' | 'delete', path: string, summary: string, extra: object, responses: object) =>
    registry.registerPath({ method, path, summary, security, ...extra, responses: { ...responses, ...problems } } as never);

  route('post', '/api/letters', 'Create a draft', { request: body(LetterInput) }, { 201: json(Letter, 'Created') });
  route('get', '/api/letters', 'Search letters, newest first', { request: { query: ListQuery } }, {
    200: json(z.object({ items: z.array(z.object({}).catchall(z.unknown())), nextCursor: z.string().nullable() })),
  });
  route('get', '/api/letters/{id}', 'Read a letter', { request: { params: z.object({ id }) } }, { 200: json(Letter) });
  route('patch', '/api/letters/{id}', 'Change fields of a draft', {
    request: { params: z.object({ id }), headers: z.object({ 'If-Match': ifMatch }), ...body(LetterPatch) },
  }, { 200: json(Letter) });
  route('post', '/api/letters/{id}/findings', 'Add a finding', { request: { params: z.object({ id }), ...body(FindingInput) } }, {
    201: json(z.object({ id: z.string(), category: z.string(), text: z.string() }), 'Created'),
  });
  route('patch', '/api/letters/{id}/findings/{findingId}', 'Edit a finding', {
    request: { params: z.object({ id, findingId }), ...body(FindingPatch) },
  }, { 200: json(Letter) });
  route('delete', '/api/letters/{id}/findings/{findingId}', 'Remove a finding', { request: { params: z.object({ id, findingId }) } }, {
    200: json(Letter),
  });
  route('post', '/api/letters/{id}/submit', 'Submit a draft for review', { request: { params: z.object({ id }) } }, { 200: json(Letter) });
  route('post', '/api/letters/{id}/return', 'Return a submitted letter with a comment', {
    request: { params: z.object({ id }), ...body(ReturnInput) },
  }, { 200: json(Letter) });
  route('post', '/api/letters/{id}/approve', 'Approve a submitted letter at a version', {
    request: { params: z.object({ id }), ...body(ApproveInput) },
  }, { 202: json(Letter, 'Accepted: rendering and distribution follow') });
  route('get', '/api/letters/{id}/preview', 'Preview as HTML, or a DRAFT PDF with ?format=pdf', {
    request: { params: z.object({ id }), query: z.object({ format: z.enum(['html', 'pdf']).optional() }) },
  }, { 200: { description: 'The preview', content: { 'text/html': { schema: z.string() }, 'application/pdf': { schema: z.string() } } } });
  route('get', '/api/letters/{id}/pdf', 'Retrieve the archived PDF', { request: { params: z.object({ id }) } }, {
    302: { description: 'Redirect to a presigned URL valid for at most 5 minutes' },
  });
  route('post', '/api/letters/{id}/redistribute', 'Retry the recipients whose delivery failed', { request: { params: z.object({ id }) } }, {
    202: json(Letter, 'Accepted'),
  });
  route('get', '/api/openapi.json', 'This document', {}, { 200: json(z.object({}).catchall(z.unknown())) });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Inspection letters', version: '1.0.0', description: 'Drafts, approval, PDF archive and statutory distribution of inspection outcome letters.' },
  });
}
