import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { MalformedRequestError } from '../../core/errors';
import type { Letter } from '../../core/letter';
import type { LetterPage, LetterQuery } from '../../core/ports';
import { authorityKey, LIST_PARTITION, type LetterIndexName, type LetterItem, toLetter } from './letter-table';

function encodeCursor(index: LetterIndexName, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ i: index, k: key })).toString('base64url');
}

function decodeCursor(index: LetterIndexName, cursor: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const key = parsed?.k;
    const valid =
      parsed?.i === index &&
      key &&
      typeof key === 'object' &&
      Object.values(key).every((v) => typeof v === 'string' && v.length <= 600) &&
      Object.keys(key).length <= 6;
    if (valid) return key;
  } catch {
    // fall through to the problem below
  }
  throw new MalformedRequestError('The cursor is not one this search returned.', [
    { field: 'cursor', message: 'is not a cursor returned by this search' },
  ]);
}

/** The letter search: one index chosen by the query (council, status or date), newest first. */
export async function searchLetters(client: DynamoDBDocumentClient, tableName: string, query: LetterQuery): Promise<LetterPage> {
  const index: LetterIndexName = query.authority ? 'byAuthority' : query.status ? 'byStatus' : 'byDate';
  const names: Record<string, string> = { '#pk': index === 'byAuthority' ? 'authorityKey' : index === 'byStatus' ? 'status' : 'listPk' };
  const values: Record<string, unknown> = {
    ':pk': query.authority ? authorityKey(query.authority) : query.status ? query.status : LIST_PARTITION,
  };
  let keyCondition = '#pk = :pk';
  if (query.from || query.to) names['#sk'] = 'listSk';
  // Sort keys start with the letter date; '~' sorts after every '#…' suffix of that date.
  if (query.from && query.to) {
    keyCondition += ' AND #sk BETWEEN :from AND :to';
    Object.assign(values, { ':from': query.from, ':to': `${query.to}~` });
  } else if (query.from) {
    keyCondition += ' AND #sk >= :from';
    values[':from'] = query.from;
  } else if (query.to) {
    keyCondition += ' AND #sk <= :to';
    values[':to'] = `${query.to}~`;
  }
  const filters: string[] = [];
  if (query.authority && query.status) {
    filters.push('#status = :status');
    values[':status'] = query.status;
  }
  if (query.statusIn) {
    filters.push(`#status IN (${query.statusIn.map((s, i) => `:in${i}`).join(', ')})`);
    query.statusIn.forEach((s, i) => (values[`:in${i}`] = s));
  }
  if (filters.length) names['#status'] = 'status';
  const filter = filters.length ? filters.join(' AND ') : undefined;

  const items: Letter[] = [];
  let startKey = query.cursor ? decodeCursor(index, query.cursor) : undefined;
  // A filter can leave a page short; keep reading until the page is full or the index ends.
  do {
    const input: QueryCommandInput = {
      TableName: tableName,
      IndexName: index,
      KeyConditionExpression: keyCondition,
      FilterExpression: filter,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: query.limit - items.length,
      ExclusiveStartKey: startKey,
    };
    const page = await client.send(new QueryCommand(input));
    for (const item of page.Items ?? []) items.push(toLetter(item as LetterItem));
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < query.limit);
  return { items, nextCursor: startKey ? encodeCursor(index, startKey) : undefined };
}
