import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { AddressFix, Delivery, DeliveryState, Finding, HistoryEntry, Letter } from '../../core/letter';
import type { RecipientRole } from '../../core/letter-schema';
import {
  ConditionNotMetError,
  type CopyKind,
  type CopyTag,
  type LetterChange,
  type LetterPage,
  type LetterQuery,
  type LetterRepository,
  type MailEvent,
  type Resend,
} from '../../core/ports';
import type { WriteGuard } from '../../core/transitions';
import type { CursorSeal } from '../cursors';
import { searchLetters } from './letter-search';
import { keys, type LetterItem, listingKeys, toItem, toLetter } from './letter-table';
import { Update } from './update-expression';

/** The letter's copies live in `deliveries`, the withdrawal notices in `notices`. */
const copiesField = (kind: CopyKind) => (kind === 'notice' ? 'notices' : 'deliveries');

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/** Stores letters and their audit entries; the rules of what may change live in core. */
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
    if (change.supersededBy) u.set(['supersededBy'], change.supersededBy);
    if (change.withdrawal) u.set(['withdrawal'], change.withdrawal);
    if (change.notices) u.set(['notices'], change.notices);
    return this.apply(id, u.change(change.entry));
  }

  async appendAudit(id: string, entry: HistoryEntry): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.audit(id, entry.at, randomUUID()), entry } }));
  }

  list(query: LetterQuery): Promise<LetterPage> {
    this.cursors ??= this.cursorSeal();
    return searchLetters(this.client, this.tableName, query, this.cursors);
  }

  async claimDeliveries(id: string, roles: RecipientRole[], claim: string, from: DeliveryState[], at: string, kind: CopyKind = 'letter'): Promise<boolean> {
    const field = copiesField(kind);
    const u = new Update();
    for (const role of roles) {
      u.when(`${u.name(field, role, 'state')} IN (${from.map((s) => u.value(s)).join(', ')})`);
      u.set([field, role, 'state'], 'sending').set([field, role, 'claim'], claim).set([field, role, 'updatedAt'], at);
      const attempts = u.name(field, role, 'attempts');
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

  recordDelivery(id: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>, entry: HistoryEntry, kind: CopyKind = 'letter'): Promise<Letter> {
    const field = copiesField(kind);
    const u = new Update();
    // Still this worker's, and still sending: an event that came first (by its tags) already told the outcome.
    u.when(`${u.name(field, role, 'claim')} = ${u.value(claim)}`).when(`${u.name(field, role, 'state')} = ${u.value('sending')}`);
    for (const [name, value] of Object.entries(outcome)) {
      if (value === undefined) u.remove([field, role, name]);
      else u.set([field, role, name], value);
    }
    u.set([field, role, 'updatedAt'], entry.at);
    return this.apply(id, u.change(entry));
  }

  requeueDeliveries(id: string, guard: WriteGuard, resends: Resend[], entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    for (const { role, state, email, fixedAt } of resends) {
      u.when(`${u.name('deliveries', role, 'state')} = ${u.value(state)}`);
      if (fixedAt) u.when(`${u.name('deliveries', role, 'addressFix', 'at')} = ${u.value(fixedAt)}`);
      u.set(['deliveries', role, 'state'], 'pending').set(['deliveries', role, 'email'], email).set(['deliveries', role, 'updatedAt'], entry.at);
      // The new send starts clean: events about the last one no longer match it.
      for (const name of ['claim', 'messageId', 'eventAt', 'lastError']) u.remove(['deliveries', role, name]);
    }
    return this.apply(id, u.change(entry));
  }

  fixAddress(id: string, guard: WriteGuard, role: RecipientRole, state: DeliveryState, fix: AddressFix, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    u.when(`${u.name('deliveries', role, 'state')} = ${u.value(state)}`);
    u.set(['deliveries', role, 'addressFix'], fix).set(['deliveries', role, 'updatedAt'], entry.at);
    return this.apply(id, u.change(entry));
  }

  async applyDeliveryEvent(copy: CopyTag, event: MailEvent, entry: HistoryEntry): Promise<Letter | undefined> {
    const field = copiesField(copy.kind);
    const u = new Update();
    const path = (name: string) => u.name(field, copy.role, name);
    u.when(`${path('claim')} = ${u.value(copy.claim)}`);
    // The message id, once recorded, must be this one; before it is, the claim alone names the send.
    u.when(`(attribute_not_exists(${path('messageId')}) OR ${path('messageId')} = ${u.value(event.messageId)})`);
    // An older event never overwrites a newer one, and an event delivered twice is applied once.
    u.when(`(attribute_not_exists(${path('eventAt')}) OR ${path('eventAt')} < ${u.value(event.at)})`);
    u.set([field, copy.role, 'state'], event.state)
      .set([field, copy.role, 'messageId'], event.messageId)
      .set([field, copy.role, 'eventAt'], event.at)
      .set([field, copy.role, 'updatedAt'], event.at);
    if (event.detail) u.set([field, copy.role, 'lastError'], event.detail);
    else u.remove([field, copy.role, 'lastError']);
    try {
      return await this.apply(copy.letterId, u.change(entry));
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
