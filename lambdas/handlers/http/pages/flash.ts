import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isLoopback } from './session';

/**
 * What a POST did, told once on the page it redirects to. It travels in a short-lived cookie
 * that the page clears as it shows it, not in the address: Back, or a reload, does not show an
 * old "Finding saved" again. Only a fixed key and a count travel, never text someone typed.
 */
const FLASH_COOKIE = 'letters_flash';

export interface Flash {
  key: string;
  count?: number;
}

export function setFlash(c: Context, key: string, count?: number): void {
  const value = count === undefined ? key : `${key}.${count}`;
  setCookie(c, FLASH_COOKIE, value, { httpOnly: true, sameSite: 'Lax', secure: !isLoopback(c), path: '/letters', maxAge: 120 });
}

export function takeFlash(c: Context): Flash | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  if (!value) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/letters', secure: !isLoopback(c) });
  const match = /^([a-z-]{1,40})(?:\.(\d{1,3}))?$/.exec(value);
  return match ? { key: match[1]!, count: match[2] === undefined ? undefined : Number(match[2]) } : undefined;
}
