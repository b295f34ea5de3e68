import { GatewayClaimsAuthenticator, JwtAuthenticator } from '../adapters/auth/jwt-authenticator';
import { type Config, required } from '../config';
import type { Authenticator } from '../core/ports';

/** Verifies bearer tokens itself (locally), or trusts the claims API Gateway's authorizer verified. */
export function authenticator(config: Config): Authenticator {
  const verify = () =>
    new JwtAuthenticator({
      issuer: required(config, 'JWT_ISSUER'),
      audience: required(config, 'JWT_AUDIENCE'),
      jwks: config.JWT_JWKS ? JSON.parse(config.JWT_JWKS) : undefined,
      jwksUrl: config.JWT_JWKS_URL,
    });
  if (config.AUTH_MODE === 'jwt') return verify();
  return new GatewayClaimsAuthenticator(config.JWT_ISSUER ? verify() : undefined);
}
