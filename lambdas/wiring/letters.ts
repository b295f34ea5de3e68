import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLetterRepository } from '../adapters/dynamodb/dynamodb-letter-repository';
import { DynamoDbPreviewSlots } from '../adapters/dynamodb/dynamodb-preview-slots';
import { CursorSeal } from '../adapters/cursors';
import { DynamoDbRateLimiter } from '../adapters/dynamodb/dynamodb-rate-limiter';
import { systemClock, UlidGenerator } from '../adapters/ids';
import { type Config, required } from '../config';

/**
 * The DynamoDB client and its document wrapper. Endpoints come from the SDK's own settings
 * (AWS_ENDPOINT_URL_DYNAMODB and friends), so the same code talks to AWS or to the emulators.
 * Each AWS service has a wiring module of its own, so a function's bundle holds only the
 * clients and adapters its handler builds.
 */
export function dynamoClients(): { dynamo: DynamoDBClient; documents: DynamoDBDocumentClient } {
  const dynamo = new DynamoDBClient({});
  return { dynamo, documents: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }) };
}

/**
 * The letter repository over DynamoDB, with the clock and ids every use case takes, the preview
 * slots beside the letters, and the counters that limit the open verify route per client. The
 * repository logs what it cannot finish but must not fail for (an event left to seal later).
 */
export function letterStore(documents: DynamoDBDocumentClient, config: Config, logger: Logger) {
  const clock = systemClock;
  return {
    letters: new DynamoDbLetterRepository(documents, config.TABLE_NAME, () => new CursorSeal(required(config, 'CURSOR_KEY')), logger),
    previews: new DynamoDbPreviewSlots(documents, config.TABLE_NAME),
    clock,
    ids: new UlidGenerator(clock),
    rateLimiter: new DynamoDbRateLimiter(documents, config.TABLE_NAME, clock),
    verifyRateLimit: { requests: config.VERIFY_RATE_LIMIT, windowSeconds: config.VERIFY_RATE_WINDOW_SECONDS },
  };
}
