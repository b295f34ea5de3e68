import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { MalformedRequestError } from '../../core/errors';
import type { Delivery, DeliveryState, Finding, HistoryEntry, Letter } from '../../core/letter';
import type { RecipientRole } from '../../core/letter-schema';
import {
  ConditionNotMetError,
  type LetterPage,
  type LetterQuery,
  type LetterRepository,
  type TransitionChange,
} from '../../core/ports';
import { authorityKey, keys, LIST_PARTITION, type LetterIndexName, listSortKey } from './letter-table';

interface LetterItem extends Omit<Letter, 'findings'> {
  pk: string;
  sk: string;
  listPk: string;
  listSk: string;
  authorityKey: string;
  /** Findings by id, so that concurrent edits of different findings never collide. */
  findings: Record<string, Finding>;
}

/** Builds an update expression with its names and values, one clause at a time. */
class Update {
  private sets: string[] = [];
  private removes: string[] = [];
  private conditions: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;

  name(...parts: string[]): string {
    return parts
      .map((part) => {
        const existing = Object.entries(this.names).find(([, v]) => v === part);
        if (existing) return existing[0];
        const key = `#n${Object.keys(this.names).length}`;
        this.names[key] = part;
        return key;
      })
      .join('.');
  }

  value(v: unknown): string {
    const key = `:v${this.n++}`;
    this.values[key] = v;
    return key;
  }

  set(path: string[], v: unknown): this {
    this.sets.push(`${this.name(...path)} = ${this.value(v)}`);
    return this;
  }

  setRaw(clause: string): this {
    this.sets.push(clause);
    return this;
  }

  remove(path: string[]): this {
    this.removes.push(this.name(...path));
    return this;
  }

  when(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  /** Every change raises the version and records who did it. */
  change(entry: HistoryEntry): this {
    const version = this.name('version');
    this.setRaw(`${version} = ${version} + ${this.value(1)}`);
    this.set(['updatedAt'], entry.at);
    const history = this.name('history');
    return this.setRaw(`${history} = list_append(${history}, ${this.value([entry])})`);
  }

  expression() {
    const parts = [];
    if (this.sets.length) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length) parts.push(`REMOVE ${this.removes.join(', ')}`);
    return {
      UpdateExpression: parts.join(' '),
      ConditionExpression: ['attribute_exists(pk)', ...this.conditions].join(' AND '),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: Object.keys(this.values).length ? this.values : undefined,
    };
  }
}

function toLetter(item: LetterItem, audit: HistoryEntry[] = []): Letter {
  const { pk: _pk, sk: _sk, listPk: _lp, listSk: _ls, authorityKey: _ak, findings, ...rest } = item;
  const history = [...(rest.history ?? []), ...audit].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { ...rest, findings: Object.values(findings ?? {}), history };
}

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

export class DynamoDbLetterRepository implements LetterRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(letter: Letter): Promise<void> {
    const item: LetterItem = {
      ...keys.letter(letter.id),
      ...letter,
      ...this.listingKeys(letter),
      findings: Object.fromEntries(letter.findings.map((f) => [f.id, f])),
    };
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async get(id: string): Promise<Letter | undefined> {
    let letter: LetterItem | undefined;
    const audit: HistoryEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.letterPk(id) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk === 'LETTER') letter = item as LetterItem;
        else if (typeof item.sk === 'string' && item.sk.startsWith('AUDIT#')) audit.push(item.entry as HistoryEntry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return letter && toLetter(letter, audit);
  }

  async replaceFacts(id: string, expectedVersion: number, facts: Letter['facts'], entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    const listing = this.listingKeys({ id, facts });
    u.set(['facts'], facts).set(['listSk'], listing.listSk).set(['authorityKey'], listing.authorityKey);
    u.when(`${u.name('status')} = ${u.value('draft')}`).when(`${u.name('version')} = ${u.value(expectedVersion)}`);
    return this.apply(id, u.change(entry));
  }

  async addFinding(id: string, finding: Finding, maxFindings: number, entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    u.set(['findings', finding.id], finding);
    u.when(`${u.name('status')} = ${u.value('draft')}`).when(`size(${u.name('findings')}) < ${u.value(maxFindings)}`);
    return this.apply(id, u.change(entry));
  }

  async replaceFinding(id: string, finding: Finding, expectedVersion: number | undefined, entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    u.set(['findings', finding.id], finding);
    u.when(`${u.name('status')} = ${u.value('draft')}`).when(`attribute_exists(${u.name('findings', finding.id)})`);
    if (expectedVersion !== undefined) u.when(`${u.name('version')} = ${u.value(expectedVersion)}`);
    return this.apply(id, u.change(entry));
  }

  async removeFinding(id: string, findingId: string, expectedVersion: number | undefined, entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    u.remove(['findings', findingId]);
    u.when(`${u.name('status')} = ${u.value('draft')}`).when(`attribute_exists(${u.name('findings', findingId)})`);
    if (expectedVersion !== undefined) u.when(`${u.name('version')} = ${u.value(expectedVersion)}`);
    return this.apply(id, u.change(entry));
  }

  async transition(id: string, change: TransitionChange): Promise<Letter> {
    const u = new Update();
    u.set(['status'], change.to);
    const status = u.name('status');
    u.when(`${status} IN (${change.from.map((s) => u.value(s)).join(', ')})`);
    if (change.expectedVersion !== undefined) u.when(`${u.name('version')} = ${u.value(change.expectedVersion)}`);
    if (change.approval) u.set(['approval'], change.approval);
    if (change.returnComment === null) u.remove(['returnComment']);
    else if (change.returnComment !== undefined) u.set(['returnComment'], change.returnComment);
    if (change.pdf) u.set(['pdf'], change.pdf);
    if (change.deliveries) u.set(['deliveries'], change.deliveries);
    return this.apply(id, u.change(change.entry));
  }

  async appendAudit(id: string, entry: HistoryEntry): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.audit(id, entry.at, randomUUID()), entry },
      }),
    );
  }

  async list(query: LetterQuery): Promise<LetterPage> {
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
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: keyCondition,
        FilterExpression: filter,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit - items.length,
        ExclusiveStartKey: startKey,
      };
      const page = await this.client.send(new QueryCommand(input));
      for (const item of page.Items ?? []) items.push(toLetter(item as LetterItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < query.limit);
    return { items, nextCursor: startKey ? encodeCursor(index, startKey) : undefined };
  }

  async claimDeliveries(id: string, roles: RecipientRole[], claim: string, from: DeliveryState[], at: string): Promise<boolean> {
    const u = new Update();
    for (const role of roles) {
      const state = u.name('deliveries', role, 'state');
      u.when(`${state} IN (${from.map((s) => u.value(s)).join(', ')})`);
      u.set(['deliveries', role, 'state'], 'sending').set(['deliveries', role, 'claim'], claim).set(['deliveries', role, 'updatedAt'], at);
      const attempts = u.name('deliveries', role, 'attempts');
      u.setRaw(`${attempts} = ${attempts} + ${u.value(1)}`);
    }
    try {
      await this.apply(id, u);
      return true;
    } catch (error) {
      if (error instanceof ConditionNotMetError) return false;
      throw error;
    }
  }

  async recordDelivery(id: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>, entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    u.when(`${u.name('deliveries', role, 'claim')} = ${u.value(claim)}`);
    for (const [field, value] of Object.entries(outcome)) {
      if (value === undefined) u.remove(['deliveries', role, field]);
      else u.set(['deliveries', role, field], value);
    }
    u.set(['deliveries', role, 'updatedAt'], entry.at);
    const letter = await this.apply(id, u.change(entry));
    if (outcome.messageId) await this.linkMessage(outcome.messageId, id, role);
    return letter;
  }

  async requeueFailedDeliveries(id: string, roles: RecipientRole[], entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    for (const role of roles) {
      u.when(`${u.name('deliveries', role, 'state')} = ${u.value('failed')}`);
      u.set(['deliveries', role, 'state'], 'pending').set(['deliveries', role, 'updatedAt'], entry.at);
    }
    return this.apply(id, u.change(entry));
  }

  async recordDeliveryEvent(messageId: string, state: DeliveryState, detail: string | undefined, at: string): Promise<'applied' | 'held'> {
    const link = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.message(messageId), ConsistentRead: true }),
    );
    const letterId = link.Item?.letterId as string | undefined;
    const role = link.Item?.role as RecipientRole | undefined;
    if (!letterId || !role) {
      // The event can overtake the write that records the message id: keep it until then.
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.message(messageId),
          UpdateExpression: 'SET heldEvents = list_append(if_not_exists(heldEvents, :empty), :event)',
          ExpressionAttributeValues: { ':empty': [], ':event': [{ state, detail, at }] },
        }),
      );
      return 'held';
    }
    await this.applyEvent(letterId, role, messageId, state, detail, at);
    return 'applied';
  }

  private async linkMessage(messageId: string, letterId: string, role: RecipientRole) {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.message(messageId),
        UpdateExpression: 'SET letterId = :letterId, #role = :role',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':letterId': letterId, ':role': role },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const held = (result.Attributes?.heldEvents ?? []) as { state: DeliveryState; detail?: string; at: string }[];
    for (const event of held) await this.applyEvent(letterId, role, messageId, event.state, event.detail, event.at);
  }

  private async applyEvent(letterId: string, role: RecipientRole, messageId: string, state: DeliveryState, detail: string | undefined, at: string) {
    const u = new Update();
    u.when(`${u.name('deliveries', role, 'messageId')} = ${u.value(messageId)}`);
    u.set(['deliveries', role, 'state'], state).set(['deliveries', role, 'updatedAt'], at);
    if (detail) u.set(['deliveries', role, 'lastError'], detail);
    const entry: HistoryEntry = { at, by: 'mail service', role: 'system', action: `delivery-${state}`, detail: `${role}${detail ? `: ${detail}` : ''}` };
    try {
      await this.apply(letterId, u.change(entry));
    } catch (error) {
      // An event for a message since replaced by a redistribution is history, not state.
      if (!(error instanceof ConditionNotMetError)) throw error;
    }
  }

  private listingKeys(letter: Pick<Letter, 'id' | 'facts'>) {
    return {
      listPk: LIST_PARTITION,
      listSk: listSortKey(letter.facts.letterDate, letter.id),
      authorityKey: authorityKey(letter.facts.authority.name),
    };
  }

  private async apply(id: string, update: Update): Promise<Letter> {
    try {
      const result = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: keys.letter(id), ...update.expression(), ReturnValues: 'ALL_NEW' }),
      );
      return toLetter(result.Attributes as LetterItem);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException') {
        throw new ConditionNotMetError();
      }
      throw error;
    }
  }
}
