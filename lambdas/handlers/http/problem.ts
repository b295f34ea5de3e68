import type { Context } from 'hono';
import { z } from 'zod';
import { type AppError, type FieldProblem, TooManyRequestsError } from '../../core/errors';
import '../../core/letter-schema';

export const PROBLEM_TYPE = 'application/problem+json';

export const FieldProblemSchema = z
  .strictObject({
    field: z.string().openapi({ description: 'The field at fault: a path into the body such as `recipients.director.email` or `findings[3].text`, a query parameter, a header (`If-Match`, `Content-Type`) or `body`.' }),
    message: z.string().openapi({ example: 'must be a valid email address' }),
  })
  .openapi('FieldProblem');

/** RFC 9457 problem details, with the fields at fault. */
export const ProblemSchema = z
  .strictObject({
    type: z.string().openapi({ example: 'about:blank' }),
    title: z.string().openapi({ example: 'Invalid request' }),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    instance: z.string().optional().openapi({ description: 'The path of the request.' }),
    correlationId: z.string().optional().openapi({ description: 'Also sent as X-Correlation-Id: quote it when reporting a problem.' }),
    errors: z.array(FieldProblemSchema).optional().openapi({ description: 'Each field at fault, when the problem is with particular fields.' }),
  })
  .openapi('Problem', { description: 'An error, as RFC 9457 problem details.' });

export type Problem = z.infer<typeof ProblemSchema> & { errors?: FieldProblem[] };

/** Zod issues named the way a client reads them: `recipients.director.email`, `findings[3].text`. */
export function fieldProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.reduce<string>(
      (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
      prefix,
    );
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: path ? `${path}.${key}` : key, message: 'is not a known field' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      problems.push({ field: path || 'body', message: 'is required' });
    } else {
      problems.push({ field: path || 'body', message: issue.message });
    }
  }
  return problems;
}

export function problemResponse(c: Context, error: AppError, correlationId?: string): Response {
  const body: Problem = {
    type: 'about:blank',
    title: error.title,
    status: error.status,
    detail: error.message,
    instance: c.req.path,
    correlationId,
    ...(error.fields.length ? { errors: error.fields } : {}),
  };
  // RFC 6750: a 401 names the scheme the client should use; a 429 says when to come back.
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_TYPE };
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  if (error instanceof TooManyRequestsError) headers['Retry-After'] = String(error.retryAfterSeconds);
  return c.body(JSON.stringify(body), error.status as 400, headers);
}

/** A 500 tells the client only that it happened and how to refer to it. */
export function internalErrorResponse(c: Context, correlationId: string): Response {
  const body: Problem = {
    type: 'about:blank',
    title: 'Internal error',
    status: 500,
    detail: `Something went wrong on our side. Quote ${correlationId} if you report it.`,
    instance: c.req.path,
    correlationId,
  };
  return c.body(JSON.stringify(body), 500, { 'Content-Type': PROBLEM_TYPE });
}

