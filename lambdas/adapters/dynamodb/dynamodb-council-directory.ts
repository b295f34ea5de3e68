import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CouncilChange, CouncilDirectory, CouncilEntry, CouncilPage } from '../../core/council';
import { COUNCIL_CODE } from '../../core/council-name';
import { MalformedRequestError } from '../../core/errors';
import { ConditionNotMetError } from '../../core/ports';

/**
 * The council directory in the letters table: one item per council, all in one partition sorted
 * by code (councils number hundreds, not millions), so the whole directory reads in code order.
 */
const PARTITION = 'COUNCIL';
const keyOf = (code: string) => ({ pk: PARTITION, sk: code });

type CouncilItem = CouncilEntry & { pk: string; sk: string };

function toEntry(item: Record<string, unknown>): CouncilEntry {
  const { pk: _pk, sk: _sk, ...entry } = item as unknown as CouncilItem;
  return entry;
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

function decodeCursor(cursor: string): string {
  try {
    const code = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))?.after;
    if (typeof code === 'string' && COUNCIL_CODE.test(code) && code.length <= 80) return code;
  } catch {
    // fall through to the problem below
  }
  throw new MalformedRequestError('The cursor is not one this list returned.', [{ field: 'cursor', message: 'is not a cursor returned by this list' }]);
}

export class DynamoDbCouncilDirectory implements CouncilDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(code: string): Promise<CouncilEntry | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keyOf(code), ConsistentRead: true }));
    return Item ? toEntry(Item) : undefined;
  }

  async list(query: { limit: number; cursor?: string }): Promise<CouncilPage> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTITION },
        Limit: query.limit,
        ExclusiveStartKey: query.cursor ? keyOf(decodeCursor(query.cursor)) : undefined,
      }),
    );
    const items = (page.Items ?? []).map(toEntry);
    const last = page.LastEvaluatedKey?.sk;
    return { items, nextCursor: typeof last === 'string' ? Buffer.from(JSON.stringify({ after: last })).toString('base64url') : undefined };
  }

  async add(entry: CouncilEntry): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: { ...keyOf(entry.code), ...entry }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionNotMetError();
      throw error;
    }
  }

  async replace(entry: CouncilEntry, expectedVersion: number, change: CouncilChange): Promise<CouncilEntry> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(entry.code),
          UpdateExpression:
            'SET #name = :name, director = :director, chiefExecutive = :chiefExecutive, version = :version, updatedAt = :at, updatedBy = :by, changes = list_append(changes, :change)',
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: {
            ':name': entry.name,
            ':director': entry.director,
            ':chiefExecutive': entry.chiefExecutive,
            ':version': entry.version,
            ':at': entry.updatedAt,
            ':by': entry.updatedBy,
            ':change': [change],
            ':expected': expectedVersion,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toEntry(result.Attributes!);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionNotMetError();
      throw error;
    }
  }
}
