import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock, RateLimiter } from '../../core/ports';
import { keys } from './letter-table';

/**
 * Fixed-window counters, one item per client and window, shared by every function instance.
 * The limit is the write's condition: no number of concurrent requests passes it. Counters
 * carry `expiresAt` for the table's TTL to remove.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async take(bucket: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const window = Math.floor(nowSeconds / windowSeconds);
    const retryAfterSeconds = (window + 1) * windowSeconds - nowSeconds;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.rate(bucket, window),
          UpdateExpression: 'ADD hits :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expires': (window + 2) * windowSeconds },
        }),
      );
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException') {
        return { allowed: false, retryAfterSeconds };
      }
      throw error;
    }
  }
}
