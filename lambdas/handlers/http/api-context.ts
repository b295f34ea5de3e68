import type { Logger } from '@aws-lambda-powertools/logger';
import type { Actor } from '../../core/letter';
import type { Authenticator, RateLimiter } from '../../core/ports';
import type { PreviewContext } from '../../core/use-cases/context';
import type { CouncilContext } from '../../core/use-cases/council-directory';
import type { RecipientsContext } from '../../core/use-cases/letter-recipients';

/** What the API's routes are built with: the use cases' context, who is calling, and the log. */
export interface ApiDependencies extends PreviewContext, RecipientsContext, CouncilContext {
  authenticator: Authenticator;
  logger: Logger;
  /** Limits the open verify route per client: an HTTP API cannot throttle per client itself. */
  rateLimiter: RateLimiter;
  verifyRateLimit: { requests: number; windowSeconds: number };
}

/** What every request carries through the app. */
export type ApiEnv = {
  Bindings: {
    event?: {
      requestContext?: { requestId?: string; http?: { sourceIp?: string }; authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
    };
  };
  Variables: { correlationId: string; actor: Actor };
};
