import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { ForbiddenError, UnauthorizedError } from '../../core/errors';
import type { Actor } from '../../core/letter';
import type { Authenticator, Credentials } from '../../core/ports';
import { personName } from '../../core/letter-schema';
import { roleFromGroups } from '../../core/roles';

/** Cognito puts groups in `cognito:groups`; the local issuer does the same so both read alike. */
export const GROUPS_CLAIM = 'cognito:groups';

function groupsOf(claims: Record<string, unknown>): string[] {
  const raw = claims[GROUPS_CLAIM];
  if (Array.isArray(raw)) return raw.map(String);
  // API Gateway flattens array claims into a string such as "[manager inspector]".
  if (typeof raw === 'string') return raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
  return [];
}

export function actorFromClaims(claims: Record<string, unknown>): Actor {
  const id = typeof claims.sub === 'string' ? claims.sub : undefined;
  if (!id) throw new UnauthorizedError('The token names no subject.');
  // Subject ids are compared for four eyes and ownership: plain printable ASCII only.
  if (!/^[\x21-\x7e]{1,200}$/.test(id)) throw new UnauthorizedError('The token names a subject that is not a valid id.');
  const role = roleFromGroups(groupsOf(claims));
  if (!role) throw new ForbiddenError('The token holds none of the roles inspector, manager or reader.');
  // The name is shown in every record of what its holder did: it is checked like any other text.
  const given = [claims.name, claims.email].find((v): v is string => typeof v === 'string' && v.trim().length > 0) ?? id;
  const name = personName.safeParse(given);
  if (!name.success) {
    throw new UnauthorizedError(`The token's name ${name.error.issues[0]?.message ?? 'is not valid'}.`);
  }
  return { sub: id, name: name.data, role };
}

/** Tokens verified lately, kept at most this many: a page or a script presents the same token on every request. */
const VERIFIED_TOKENS = 500;

/** Verifies the signature, expiry, issuer and audience of a bearer token itself. */
export class JwtAuthenticator implements Authenticator {
  private readonly keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;
  /**
   * Token → who it names and until when, for tokens whose signature was checked. The signature
   * covers the exact token, so the same bytes need no second check (WebCrypto's verify is most
   * of a small request's work); expiry is still checked on every use.
   */
  private readonly verified = new Map<string, { actor: Actor; expiresAt: number }>();

  constructor(
    private readonly options: { issuer: string; audience: string; jwks?: JSONWebKeySet; jwksUrl?: string },
  ) {
    if (options.jwks) this.keys = createLocalJWKSet(options.jwks);
    else if (options.jwksUrl) this.keys = createRemoteJWKSet(new URL(options.jwksUrl));
    else throw new Error('JwtAuthenticator needs a key set or its URL');
  }

  async authenticate(credentials: Credentials): Promise<Actor> {
    const token = credentials.bearerToken;
    if (!token) throw new UnauthorizedError();
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.actor;
    if (known) this.verified.delete(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['ES256', 'RS256'],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch {
      throw new UnauthorizedError('The bearer token is not valid: it is malformed, expired, or not signed by the expected issuer.');
    }
    const actor = actorFromClaims(payload as Record<string, unknown>);
    // Oldest first out: a Map keeps insertion order.
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { actor, expiresAt: payload.exp! * 1000 });
    return actor;
  }
}

/**
 * Behind API Gateway's JWT authorizer the token has been verified before the function runs;
 * the handler reads the claims it passes on. A bearer token without such claims is refused.
 */
export class GatewayClaimsAuthenticator implements Authenticator {
  constructor(private readonly fallback?: Authenticator) {}

  async authenticate(credentials: Credentials): Promise<Actor> {
    if (credentials.verifiedClaims) return actorFromClaims(credentials.verifiedClaims);
    // Pages under the same function carry their token in a cookie that no authorizer saw.
    if (this.fallback && credentials.bearerToken) return this.fallback.authenticate(credentials);
    throw new UnauthorizedError();
  }
}
