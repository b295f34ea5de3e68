import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { JwtAuthenticator } from '../../lambdas/adapters/auth/jwt-authenticator';
import { UnauthorizedError } from '../../lambdas/core/errors';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'letters';

async function setUp() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const authenticator = new JwtAuthenticator({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] } });
  const sign = (claims: Record<string, unknown>, expiresInSeconds: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('sub-1')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(privateKey);
  return { authenticator, sign };
}

const claims = { name: 'Pat Manager', 'cognito:groups': ['manager'] };

describe('a bearer token presented again', () => {
  it('is refused once it has expired, though it was accepted before', async () => {
    const { authenticator, sign } = await setUp();
    const token = await sign(claims, 1);
    await expect(authenticator.authenticate({ bearerToken: token })).resolves.toMatchObject({ sub: 'sub-1', role: 'manager' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(authenticator.authenticate({ bearerToken: token })).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('is refused when any byte of it differs from the one accepted', async () => {
    const { authenticator, sign } = await setUp();
    const token = await sign(claims, 300);
    await expect(authenticator.authenticate({ bearerToken: token })).resolves.toMatchObject({ name: 'Pat Manager' });
    const [header, payload, signature] = token.split('.');
    // The same signature over claims that name someone else.
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'sub-2' })).toString('base64url')}.${signature}`;
    await expect(authenticator.authenticate({ bearerToken: forged })).rejects.toBeInstanceOf(UnauthorizedError);
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(authenticator.authenticate({ bearerToken: flipped })).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticator.authenticate({ bearerToken: token })).resolves.toMatchObject({ sub: 'sub-1' });
  });
});
