import { createHmac, timingSafeEqual } from 'node:crypto';
import { MalformedRequestError } from '../core/errors';

const refused = () =>
  new MalformedRequestError('The cursor is not one this search returned.', [{ field: 'cursor', message: 'is not a cursor returned by this search' }]);

/**
 * Page cursors a client cannot forge: the position (a DynamoDB key) and an HMAC over it and the
 * search it belongs to, under a key from configuration. A cursor that was changed, made up, or
 * taken from another search (another council, status, date range or role) is refused before it
 * reaches the database, whose own answer to a bad start key would be an error, not a page.
 */
export class CursorSeal {
  private readonly key: Buffer;

  constructor(key: string) {
    if (Buffer.byteLength(key) < 32) throw new Error('Configuration is not valid: CURSOR_KEY must be at least 32 characters');
    this.key = Buffer.from(key);
  }

  /** `scope` names the search: only a search with the same scope accepts the cursor. */
  seal(scope: string, position: Record<string, unknown>): string {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${payload}.${this.mac(scope, payload).toString('base64url')}`;
  }

  open(scope: string, cursor: string): Record<string, unknown> {
    const [payload, mac, ...rest] = cursor.split('.');
    if (!payload || !mac || rest.length > 0 || cursor.length > 2_000) throw refused();
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(scope, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused();
    const position: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!position || typeof position !== 'object' || Array.isArray(position)) throw refused();
    return position as Record<string, unknown>;
  }

  private mac(scope: string, payload: string): Buffer {
    return createHmac('sha256', this.key).update(`${scope}\n${payload}`).digest();
  }
}
