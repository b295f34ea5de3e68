import type { Context } from 'hono';
import type { z } from 'zod';
import {
  AppError,
  MalformedRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionRequiredError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../core/errors';
import { LIMITS } from '../../core/letter-schema';
import { fieldProblems } from './problem';

/** Ids are time-sortable ULIDs: 26 characters of Crockford's base 32. */
const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function idParam(c: Context, name: 'id' | 'findingId'): string {
  const value = c.req.param(name) ?? '';
  if (!ID.test(value)) {
    throw new NotFoundError(`${JSON.stringify(value.slice(0, 60))} is not ${name === 'id' ? 'a letter' : 'a finding'} id.`);
  }
  return value;
}

/**
 * Line breaks are normalised at the edge (CR LF, from Windows, forms and pasted text, to LF), so
 * limits count what the letter prints and no text is refused for its line endings. In JSON a
 * line break inside a string is always an escape (`\r`, `\u000d`); they are rewritten in the
 * text before parsing, which needs no walk over a body however deeply it nests.
 */
const ESCAPED_CR = /(?<!\\)((?:\\\\)*)\\(?:r|u000[dD])(?:\\(?:n|u000[aA]))?/g;
export const normaliseEscapedLineBreaks = (json: string) => json.replace(ESCAPED_CR, '$1\\n');

/** Reads a JSON body: right media type, within the size limit, well formed, and valid for the schema. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S, options: { optional?: boolean } = {}): Promise<z.infer<S>> {
  const raw = await c.req.text();
  if (options.optional && raw.trim() === '') return schema.parse({});
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  if (Buffer.byteLength(raw, 'utf8') > LIMITS.body) throw new PayloadTooLargeError(LIMITS.body);
  let data: unknown;
  try {
    data = JSON.parse(normaliseEscapedLineBreaks(raw));
  } catch (error) {
    throw new MalformedRequestError(`The body is not valid JSON: ${(error as Error).message}`, [{ field: 'body', message: 'is not valid JSON' }]);
  }
  return checkBody(schema, data);
}

/** Checks a body already read against a schema: 422 naming each field at fault. */
export function checkBody<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  // With the input on each issue, a wrong value is told apart from a missing one.
  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new ValidationError(fieldProblems(parsed.error));
  return parsed.data;
}

export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  // A parameter given twice is ambiguous: refuse it rather than pick one silently.
  const repeated = Object.entries(c.req.queries()).filter(([, values]) => values.length > 1);
  if (repeated.length) {
    throw new ValidationError(repeated.map(([name]) => ({ field: name, message: 'must be given once' })));
  }
  const parsed = schema.safeParse(c.req.query(), { reportInput: true });
  if (!parsed.success) throw new ValidationError(fieldProblems(parsed.error));
  return parsed.data;
}

/** A version as an ETag carries it, quoted: what If-Match and If-None-Match send back. */
export const versionTag = (version: number) => `"${version}"`;

/** If-Match takes the version quoted, bare or weak: `"3"`, `3`, `W/"3"`. */
export function ifMatch(c: Context, required: true): number;
export function ifMatch(c: Context, required: false): number | undefined;
export function ifMatch(c: Context, required: boolean): number | undefined {
  const header = c.req.header('if-match');
  if (header === undefined || header.trim() === '') {
    if (required) throw new PreconditionRequiredError();
    return undefined;
  }
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) {
    throw new MalformedRequestError('If-Match must be the letter version, such as "3".', [
      { field: 'If-Match', message: 'must be a version number' },
    ]);
  }
  return Number(match[1]);
}

/**
 * The version a request acts on when it may come in the body, in If-Match, or in both: 428
 * without either, 412 when the two disagree.
 */
export function versionFromBodyOrIfMatch(c: Context, bodyVersion: number | undefined): number {
  const header = ifMatch(c, false);
  if (bodyVersion === undefined && header === undefined) {
    throw new AppError(428, 'Precondition required', 'Send the version you read, as "version" in the body or in If-Match.', [
      { field: 'If-Match', message: 'or version is required' },
      { field: 'version', message: 'or If-Match is required' },
    ]);
  }
  if (bodyVersion !== undefined && header !== undefined && bodyVersion !== header) {
    throw new AppError(412, 'Precondition failed', `The body says version ${bodyVersion} and If-Match says ${header}.`, [
      { field: 'If-Match', message: `must agree with the body's version, ${bodyVersion}` },
    ]);
  }
  return (bodyVersion ?? header)!;
}

/**
 * The versions an If-None-Match names: a list of ETags, strong or weak (`"3"`, `W/"3", "4"`).
 * Anything else in it matches no version of a letter, so it is ignored and the letter is sent.
 */
export function ifNoneMatch(c: Context): number[] {
  const header = c.req.header('if-none-match');
  if (!header) return [];
  return [...header.matchAll(/(?:^|,)\s*(?:W\/)?"(\d{1,9})"\s*(?=,|$)/g)].map((m) => Number(m[1]));
}
