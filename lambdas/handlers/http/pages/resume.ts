import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { CSRF_FIELD, isLoopback } from './session';
import type { FormValues } from './form-fields';

/**
 * A form posted after the session ended is kept through signing in again, so nothing typed is
 * lost. It waits, compressed, in short-lived HttpOnly cookies in the person's own browser: no
 * server-side store, and the same whether sign-in is local or through Cognito's hosted UI.
 * Its CSRF token is dropped; the form is posted again, by the person, with the new session's.
 */
const COOKIE = 'letters_resume';
const CHUNK = 3_600;
/** Three cookies at most: a request's headers stay well inside API Gateway's 10 KB. */
const CHUNKS = 3;
const LIFETIME_SECONDS = 3_600;

export interface PostedForm {
  /** Where it was posted: a page of ours under /letters. */
  path: string;
  fields: FormValues;
}

const cookieName = (i: number) => `${COOKIE}${i}`;
const SAFE_PATH = /^\/letters\/[0-9A-Za-z/_-]{1,200}$/;

/** Keeps the form; false when it is too large to keep this way. */
export function keepPostedForm(c: Context, form: PostedForm): boolean {
  const { [CSRF_FIELD]: _token, ...fields } = form.fields;
  const packed = deflateRawSync(Buffer.from(JSON.stringify({ p: form.path, f: fields }), 'utf8')).toString('base64url');
  if (packed.length > CHUNK * CHUNKS || !SAFE_PATH.test(form.path)) return false;
  const options = { httpOnly: true, sameSite: 'Lax' as const, secure: !isLoopback(c), path: '/', maxAge: LIFETIME_SECONDS };
  for (let i = 0; i < CHUNKS; i++) {
    const part = packed.slice(i * CHUNK, (i + 1) * CHUNK);
    if (part) setCookie(c, cookieName(i), part, options);
    else deleteCookie(c, cookieName(i), { path: '/', secure: !isLoopback(c) });
  }
  return true;
}

function read(c: Context): PostedForm | undefined {
  const packed = Array.from({ length: CHUNKS }, (_, i) => getCookie(c, cookieName(i)) ?? '').join('');
  if (!packed) return undefined;
  try {
    const { p, f } = JSON.parse(inflateRawSync(Buffer.from(packed, 'base64url'), { maxOutputLength: 512 * 1024 }).toString('utf8'));
    const valid = typeof p === 'string' && SAFE_PATH.test(p) && f && typeof f === 'object' && Object.values(f).every((v) => typeof v === 'string');
    return valid ? { path: p, fields: f } : undefined;
  } catch {
    return undefined;
  }
}

/** The form waiting to be posted again, if there is one; left in place. */
export const peekPostedForm = read;

/** The form waiting to be posted again, taken: the page that offers to post it now holds it. */
export function takePostedForm(c: Context): PostedForm | undefined {
  const form = read(c);
  for (let i = 0; i < CHUNKS; i++) if (getCookie(c, cookieName(i))) deleteCookie(c, cookieName(i), { path: '/', secure: !isLoopback(c) });
  return form;
}

/** What the person was saving, in their words: "Sign in to save your finding." */
export function whatWasPosted(path: string): { what: string; action: string } {
  if (/\/findings\/paste$/.test(path)) return { what: 'your findings', action: 'Save your findings' };
  if (/\/findings\/(new|[0-9A-Z]{26}\/edit)$/.test(path)) return { what: 'your finding', action: 'Save your finding' };
  if (/^\/letters\/(new|[0-9A-Z]{26}\/edit)$/.test(path)) return { what: 'the letter’s details', action: 'Save the letter’s details' };
  if (/\/return$/.test(path)) return { what: 'your comment', action: 'Return the letter with your comment' };
  return { what: 'your changes', action: 'Send it again' };
}

/** The longer things typed into the form, to show the person what will be saved. */
export function typedText(fields: FormValues): { label: string; text: string }[] {
  const labels: Record<string, string> = { text: 'Finding', findings: 'Findings', comment: 'Comment', summary: 'Summary', 'authority-name': 'Council' };
  return Object.entries(labels).flatMap(([name, label]) => (fields[name]?.trim() ? [{ label, text: fields[name]! }] : []));
}
