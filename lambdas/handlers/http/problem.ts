import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppError, FieldProblem } from '../../core/errors';

export const PROBLEM_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldProblem[];
}

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
  return c.body(JSON.stringify(body), error.status as 400, { 'Content-Type': PROBLEM_TYPE });
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

