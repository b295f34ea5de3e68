import { type DynamoDBDocumentClient, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PreviewSlots } from '../../core/ports';
import { keys } from './letter-table';

const isConditionFailure = (error: unknown) => (error as Error)?.name === 'ConditionalCheckFailedException';

/**
 * One item per person with a preview in flight, beside the letters. Taking the slot is a
 * conditional put that only an absent or lapsed slot lets through, so two previews asked for at
 * once, by two processes or two Lambda instances, cannot both take it; giving it back deletes it
 * only while the same holder has it.
 */
export class DynamoDbPreviewSlots implements PreviewSlots {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async take(personId: string, holder: string, until: Date): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.previewSlot(personId), holder, until: until.getTime() },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': Date.now() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(personId: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.previewSlot(personId),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // The slot lapsed and another preview holds it now: that one gives it back.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
