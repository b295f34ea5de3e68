import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Letter, PROBLEM_STATES } from '../../core/letter';
import { RECIPIENT_ROLES } from '../../core/letter-schema';
import type { LetterPage, LetterQuery } from '../../core/ports';
import type { CursorSeal } from '../cursors';
import { sendInBatches } from './batches';
import { authorityKey, LIST_PARTITION, type LetterIndexName, type LetterItem, toLetter } from './letter-table';

/**
 * The letter search: one index chosen by the query (council, status or date), newest first.
 * Its cursors are sealed to the search: the index, the key condition and the filter.
 */
export async function searchLetters(client: DynamoDBDocumentClient, tableName: string, query: LetterQuery, cursors: CursorSeal): Promise<LetterPage> {
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
    // Dated letters only: an undated draft's key sorts after every date.
    keyCondition += ' AND #sk BETWEEN :from AND :to';
    Object.assign(values, { ':from': query.from, ':to': '9999-12-31~' });
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
  if (query.deliveryProblem) {
    // Letters with a problem are few, and each is one item: a filter over the chosen index finds them.
    names['#deliveries'] = 'deliveries';
    names['#state'] = 'state';
    PROBLEM_STATES.forEach((s, i) => (values[`:problem${i}`] = s));
    const states = PROBLEM_STATES.map((_, i) => `:problem${i}`).join(', ');
    const copies = RECIPIENT_ROLES.map((role, i) => {
      names[`#role${i}`] = role;
      return `#deliveries.#role${i}.#state IN (${states})`;
    });
    filters.push(`(${copies.join(' OR ')})`);
  }
  const filter = filters.length ? filters.join(' AND ') : undefined;

  const scope = JSON.stringify({ index, keyCondition, filter, values });
  const found: { pk: string; sk: string }[] = [];
  let startKey = query.cursor ? cursors.open(scope, query.cursor) : undefined;
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
      Limit: query.limit - found.length,
      ExclusiveStartKey: startKey,
    };
    const page = await client.send(new QueryCommand(input));
    for (const item of page.Items ?? []) found.push({ pk: item.pk as string, sk: item.sk as string });
    startKey = page.LastEvaluatedKey;
  } while (startKey && found.length < query.limit);
  const letters = await lettersByKey(client, tableName, found);
  // In the index's order; a letter gone between the two reads is left out.
  const items = found.flatMap((key) => letters.get(key.pk) ?? []);
  return { items, nextCursor: startKey ? cursors.seal(scope, startKey) : undefined };
}

/** BatchGetItem's limit on keys a request. */
const KEYS_PER_BATCH = 100;

/** The letters with these keys, by partition key: the indexes hold only what a search filters on. */
async function lettersByKey(client: DynamoDBDocumentClient, tableName: string, keys: { pk: string; sk: string }[]): Promise<Map<string, Letter>> {
  const letters = new Map<string, Letter>();
  await sendInBatches(
    keys,
    KEYS_PER_BATCH,
    async (batch) => {
      const result = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch } } }));
      for (const item of result.Responses?.[tableName] ?? []) letters.set(item.pk as string, toLetter(item as LetterItem));
      return (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof batch;
    },
    () => new Error('the letters found could not be read'),
  );
  return letters;
}
