import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from '../core/letter';
import { GROUPS_CLAIM } from '../adapters/auth/jwt-authenticator';

export const LOCAL_ISSUER = 'urn:inspection-letters:local-issuer';
export const LOCAL_AUDIENCE = 'inspection-letters';

/**
 * A local person's subject id comes from their name alone, so one person keeps one id whatever
 * role they sign in with: a manager who drafted a letter as an inspector is still its author.
 */
export function localSubject(name: string): string {
  const key = name.normalize('NFKC').replace(/\s+/gu, ' ').trim().toLowerCase();
  return `local:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/**
 * Signs tokens for the local stack the way Cognito does on AWS: ES256, with the role in
 * `cognito:groups`. The key is kept under the data folder so tokens survive a restart.
 */
export class LocalIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async open(keyFile: string): Promise<LocalIssuer> {
    let privateJwk: JWK;
    if (existsSync(keyFile)) {
      privateJwk = JSON.parse(readFileSync(keyFile, 'utf8'));
    } else {
      const pair = await generateKeyPair('ES256', { extractable: true });
      privateJwk = { ...(await exportJWK(pair.privateKey)), kid: `local-${Date.now().toString(36)}`, alg: 'ES256' };
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, JSON.stringify(privateJwk), { mode: 0o600 });
    }
    const { d: _d, ...publicJwk } = privateJwk;
    const privateKey = (await importJWK(privateJwk, 'ES256')) as CryptoKey;
    return new LocalIssuer(privateKey, { ...publicJwk, use: 'sig' });
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async issue(role: Role, name: string, lifetimeSeconds = 8 * 3600): Promise<string> {
    return new SignJWT({ name, [GROUPS_CLAIM]: [role], token_use: 'id' })
      .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject(localSubject(name))
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.privateKey);
  }
}
