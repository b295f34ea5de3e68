import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Delivery, DeliveryState, Finding, HistoryEntry, Letter } from '../../core/letter';
import type { RecipientRole } from '../../core/letter-schema';
import {
  ConditionNotMetError,
  type LetterChange,
  type LetterPage,
  type LetterQuery,
  type LetterRepository,
  type MailEvent,
  type MessageLink,
} from '../../core/ports';
import type { WriteGuard } from '../../core/transitions';
import type { CursorSeal } from '../cursors';
import { searchLetters } from './letter-search';
import { keys, type LetterItem, listingKeys, toItem, toLetter } from './letter-table';
import { Update } from './update-expression';

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/** Stores letters, their audit entries and message-id links; the rules of what may change live in core. */
export class DynamoDbLetterRepository implements LetterRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Built on the first search: a function that never searches needs no cursor key. */
    private readonly cursorSeal: () => CursorSeal,
  ) {}

  private cursors?: CursorSeal;

  async create(letter: Letter): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: toItem(letter), ConditionExpression: 'attribute_not_exists(pk)' }));
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

  replaceFacts(id: string, guard: WriteGuard, facts: Letter['facts'], entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    const listing = listingKeys({ id, facts });
    u.set(['facts'], facts).set(['listSk'], listing.listSk).set(['authorityKey'], listing.authorityKey);
    return this.apply(id, u.change(entry));
  }

  addFinding(id: string, guard: WriteGuard, finding: Finding, maxFindings: number, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    u.set(['findings', finding.id], finding).when(`size(${u.name('findings')}) < ${u.value(maxFindings)}`);
    return this.apply(id, u.change(entry));
  }

  replaceFinding(id: string, guard: WriteGuard, finding: Finding, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    u.set(['findings', finding.id], finding).when(`attribute_exists(${u.name('findings', finding.id)})`);
    return this.apply(id, u.change(entry));
  }

  removeFinding(id: string, guard: WriteGuard, findingId: string, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    u.remove(['findings', findingId]).when(`attribute_exists(${u.name('findings', findingId)})`);
    return this.apply(id, u.change(entry));
  }

  transition(id: string, guard: WriteGuard, change: LetterChange): Promise<Letter> {
    const u = new Update().guard(guard);
    if (change.approval) u.set(['approval'], change.approval);
    if (change.returnComment === null) u.remove(['returnComment']);
    else if (change.returnComment !== undefined) u.set(['returnComment'], change.returnComment);
    if (change.pdf) u.set(['pdf'], change.pdf);
    if (change.deliveries) u.set(['deliveries'], change.deliveries);
    return this.apply(id, u.change(change.entry));
  }

  async appendAudit(id: string, entry: HistoryEntry): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.audit(id, entry.at, randomUUID()), entry } }));
  }

  list(query: LetterQuery): Promise<LetterPage> {
    this.cursors ??= this.cursorSeal();
    return searchLetters(this.client, this.tableName, query, this.cursors);
  }

  async claimDeliveries(id: string, roles: RecipientRole[], claim: string, from: DeliveryState[], at: string): Promise<boolean> {
    const u = new Update();
    for (const role of roles) {
      u.when(`${u.name('deliveries', role, 'state')} IN (${from.map((s) => u.value(s)).join(', ')})`);
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

  recordDelivery(id: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>, entry: HistoryEntry): Promise<Letter> {
    const u = new Update();
    u.when(`${u.name('deliveries', role, 'claim')} = ${u.value(claim)}`);
    for (const [field, value] of Object.entries(outcome)) {
      if (value === undefined) u.remove(['deliveries', role, field]);
      else u.set(['deliveries', role, field], value);
    }
    u.set(['deliveries', role, 'updatedAt'], entry.at);
    return this.apply(id, u.change(entry));
  }

  requeueFailedDeliveries(id: string, guard: WriteGuard, roles: RecipientRole[], entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    for (const role of roles) {
      u.when(`${u.name('deliveries', role, 'state')} = ${u.value('failed')}`);
      u.set(['deliveries', role, 'state'], 'pending').set(['deliveries', role, 'updatedAt'], entry.at);
    }
    return this.apply(id, u.change(entry));
  }

  async findMessage(messageId: string): Promise<MessageLink | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.message(messageId), ConsistentRead: true }));
    return Item?.letterId ? { letterId: Item.letterId, role: Item.role, messageId } : undefined;
  }

  async holdEvent(messageId: string, event: MailEvent): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.message(messageId),
          UpdateExpression: 'SET heldEvents = list_append(if_not_exists(heldEvents, :empty), :event)',
          // Once the id is linked nothing reads held events again: the caller applies this one itself.
          ConditionExpression: 'attribute_not_exists(letterId)',
          ExpressionAttributeValues: { ':empty': [], ':event': [event] },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async linkMessage({ letterId, role, messageId }: MessageLink): Promise<MailEvent[]> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.message(messageId),
        UpdateExpression: 'SET letterId = :letterId, #role = :role REMOVE heldEvents',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':letterId': letterId, ':role': role },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return (result.Attributes?.heldEvents ?? []) as MailEvent[];
  }

  async applyDeliveryEvent({ letterId, role, messageId }: MessageLink, event: MailEvent, entry: HistoryEntry): Promise<Letter | undefined> {
    const u = new Update();
    u.when(`${u.name('deliveries', role, 'messageId')} = ${u.value(messageId)}`);
    u.set(['deliveries', role, 'state'], event.state).set(['deliveries', role, 'updatedAt'], event.at);
    if (event.detail) u.set(['deliveries', role, 'lastError'], event.detail);
    try {
      return await this.apply(letterId, u.change(entry));
    } catch (error) {
      if (error instanceof ConditionNotMetError) return undefined;
      throw error;
    }
  }

  /** One conditional update of a letter's item; a condition not met becomes ConditionNotMetError for core to explain. */
  private async apply(id: string, update: Update): Promise<Letter> {
    try {
      const result = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: keys.letter(id), ...update.expression(), ReturnValues: 'ALL_NEW' }),
      );
      return toLetter(result.Attributes as LetterItem);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionNotMetError();
      throw error;
    }
  }
}
