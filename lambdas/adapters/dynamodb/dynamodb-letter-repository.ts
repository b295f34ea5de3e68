import type { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AccessEntry, type AddressFix, type Delivery, type DeliveryState, type Finding, findingBytes, type HistoryEntry, type Letter } from '../../core/letter';
import type { RecipientRole } from '../../core/letter-schema';
import {
  ConditionNotMetError,
  type CopyKind,
  type CopyTag,
  type DeliveryRecord,
  type FindingLimits,
  type LetterChange,
  type LetterPage,
  type LetterQuery,
  type LetterRepository,
  type MailEvent,
  type Resend,
  type Page,
  type PageRequest,
  type StatusAfterDelivery,
  type StoredRecord,
} from '../../core/ports';
import { DynamoDbLetterRecord, tailIsFull } from './letter-record';
import type { WriteGuard } from '../../core/transitions';
import type { CursorSeal } from '../cursors';
import { searchLetters } from './letter-search';
import { approvalItem, keys, type LetterItem, listingKeys, toItem, toLetter } from './letter-table';
import { Update } from './update-expression';

/** The letter's copies live in `deliveries`, the withdrawal notices in `notices`. */
const copiesField = (kind: CopyKind) => (kind === 'notice' ? 'notices' : 'deliveries');

/** Events `get` returns with the letter. */
const HISTORY_PAGE = 20;

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/** Stores letters, their chained records and access logs; the rules of what may change live in core. */
export class DynamoDbLetterRepository implements LetterRepository {
  private readonly record: DynamoDbLetterRecord;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Built on the first use of a cursor: a function that never pages needs no cursor key. */
    private readonly cursorSeal: () => CursorSeal,
    /** Hears of an event that was stored but could not be sealed yet. */
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.record = new DynamoDbLetterRecord(client, tableName, () => this.seal());
  }

  private cursors?: CursorSeal;

  private seal(): CursorSeal {
    this.cursors ??= this.cursorSeal();
    return this.cursors;
  }

  async create(letter: Letter): Promise<void> {
    const item = toItem(letter);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    if (tailIsFull(item.tail)) await this.sealQuietly(letter.id, item);
  }

  /**
   * The change is stored, its event with it: a failure to seal now must not turn a stored change
   * into an error. The events stay in the item's tail, shown and chained on read, and the next
   * write, finding the tail still full, seals them. The failure is logged, so one that keeps
   * happening is seen.
   */
  private async sealQuietly(id: string, item: LetterItem): Promise<void> {
    try {
      await this.record.seal(id, item);
    } catch (error) {
      this.logger.warn('An event was stored with its change but not sealed into the record; the next write to the letter seals it', {
        letterId: id,
        unsealed: item.tail?.length ?? 0,
        error,
      });
    }
  }

  /** The letter and its latest page of events, in one Query: the same cost however long its record grows. */
  async get(id: string): Promise<Letter | undefined> {
    const { item, sealed } = await this.record.letterWithHistory(id, HISTORY_PAGE);
    if (!item) return undefined;
    const letter = toLetter(item, sealed);
    letter.history = letter.history.slice(0, HISTORY_PAGE);
    const oldest = letter.history.at(-1)?.seq ?? 1;
    letter.historyNext = oldest > 1 ? this.record.historyCursor(id, oldest, item.head?.seq ?? 0) : undefined;
    return letter;
  }

  replaceFacts(id: string, guard: WriteGuard, facts: Letter['facts'], entry: HistoryEntry, recipientOverride?: Letter['recipientOverride']): Promise<Letter> {
    const u = new Update().guard(guard);
    const listing = listingKeys({ id, facts });
    u.set(['facts'], facts).set(['listSk'], listing.listSk).set(['authorityKey'], listing.authorityKey);
    if (recipientOverride) u.set(['recipientOverride'], recipientOverride);
    else u.remove(['recipientOverride']);
    return this.apply(id, u.change(entry));
  }

  addFinding(id: string, guard: WriteGuard, finding: Finding, limits: FindingLimits, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    u.set(['findings', finding.id], finding).when(`size(${u.name('findings')}) < ${u.value(limits.findings)}`);
    u.findingsBytes(findingBytes(finding), limits.bytes);
    return this.apply(id, u.change(entry));
  }

  addFindings(id: string, guard: WriteGuard, findings: Finding[], limits: FindingLimits, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    for (const finding of findings) u.set(['findings', finding.id], finding);
    u.when(`size(${u.name('findings')}) <= ${u.value(limits.findings - findings.length)}`);
    u.findingsBytes(findings.reduce((n, f) => n + findingBytes(f), 0), limits.bytes);
    return this.apply(id, u.change(entry));
  }

  placeFindings(id: string, guard: WriteGuard, places: Record<string, number>, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    for (const [findingId, order] of Object.entries(places)) {
      u.set(['findings', findingId, 'order'], order).when(`attribute_exists(${u.name('findings', findingId)})`);
    }
    return this.apply(id, u.change(entry));
  }

  replaceFinding(id: string, guard: WriteGuard, finding: Finding, previous: Finding, limits: FindingLimits, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    // The text replaced must be the one counted, so the byte count moves by exactly the difference.
    u.set(['findings', finding.id], finding).when(`${u.name('findings', finding.id, 'text')} = ${u.value(previous.text)}`);
    u.findingsBytes(findingBytes(finding) - findingBytes(previous), limits.bytes);
    return this.apply(id, u.change(entry));
  }

  removeFinding(id: string, guard: WriteGuard, removed: Finding, entry: HistoryEntry): Promise<Letter> {
    const u = new Update().guard(guard);
    u.remove(['findings', removed.id]).when(`${u.name('findings', removed.id, 'text')} = ${u.value(removed.text)}`);
    u.findingsBytes(-findingBytes(removed), 0);
    return this.apply(id, u.change(entry));
  }

  transition(id: string, guard: WriteGuard, change: LetterChange): Promise<Letter> {
    const u = new Update().guard(guard);
    if (change.approval === null) u.remove(['approval']);
    else if (change.approval) {
      const { approval, facts } = approvalItem(change.approval);
      u.set(['approval'], approval).set(['facts'], facts);
    }
    if (change.returnComment === null) u.remove(['returnComment']);
    else if (change.returnComment !== undefined) u.set(['returnComment'], change.returnComment);
    if (change.pdf) u.set(['pdf'], change.pdf);
    if (change.deliveries) u.set(['deliveries'], change.deliveries);
    if (change.supersededBy) u.set(['supersededBy'], change.supersededBy);
    if (change.correction === null) u.remove(['correction']);
    else if (change.correction) u.set(['correction'], change.correction);
    if (change.withdrawal) u.set(['withdrawal'], change.withdrawal);
    if (change.notices) u.set(['notices'], change.notices);
    return this.apply(id, u.change(change.entry));
  }

  async recordEvent(id: string, entry: HistoryEntry): Promise<void> {
    await this.apply(id, new Update().change(entry));
  }

  async versionOf(id: string): Promise<{ version: number; approved: boolean } | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.letter(id),
        ConsistentRead: true,
        ProjectionExpression: '#version, #approval.#at',
        ExpressionAttributeNames: { '#version': 'version', '#approval': 'approval', '#at': 'at' },
      }),
    );
    return Item ? { version: Item.version as number, approved: Item.approval !== undefined } : undefined;
  }

  history(id: string, page: PageRequest): Promise<Page<HistoryEntry>> {
    return this.record.history(id, page);
  }

  readRecord(id: string): Promise<StoredRecord | undefined> {
    return this.record.record(id);
  }

  recordAccess(id: string, entry: AccessEntry): Promise<void> {
    return this.record.recordAccess(id, entry);
  }

  accessLog(id: string, page: PageRequest): Promise<Page<AccessEntry>> {
    return this.record.accessLog(id, page);
  }

  linkPdf(sha256: string, letterId: string): Promise<void> {
    return this.record.linkPdf(sha256, letterId);
  }

  findByPdf(sha256: string): Promise<string | undefined> {
    return this.record.findByPdf(sha256);
  }

  list(query: LetterQuery): Promise<LetterPage> {
    return searchLetters(this.client, this.tableName, query, this.seal());
  }

  async claimDeliveries(id: string, roles: RecipientRole[], claim: string, from: DeliveryState[], at: string, kind: CopyKind = 'letter'): Promise<boolean> {
    const field = copiesField(kind);
    const u = new Update().revise();
    for (const role of roles) {
      u.when(`${u.name(field, role, 'state')} IN (${from.map((s) => u.value(s)).join(', ')})`);
      u.set([field, role, 'state'], 'sending').set([field, role, 'claim'], claim).set([field, role, 'updatedAt'], at);
      const attempts = u.name(field, role, 'attempts');
      u.setRaw(`${attempts} = ${attempts} + ${u.value(1)}`);
    }
    try {
      // A claim adds no event, and its caller needs only to know it landed: nothing comes back.
      await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: keys.letter(id), ...u.expression(), ReturnValues: 'NONE' }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  recordDelivery(id: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>, entry: HistoryEntry, kind: CopyKind = 'letter'): Promise<Letter> {
    return this.recordDeliveries(id, [{ role, claim, outcome, entry }], kind);
  }

  recordDeliveries(id: string, records: DeliveryRecord[], kind: CopyKind, then?: StatusAfterDelivery): Promise<Letter> {
    const field = copiesField(kind);
    const u = new Update();
    if (then) u.guard(then.guard);
    for (const { role, claim, outcome, entry } of records) {
      // Still this worker's, and still sending: an event that came first (by its tags) already told the outcome.
      u.when(`${u.name(field, role, 'claim')} = ${u.value(claim)}`).when(`${u.name(field, role, 'state')} = ${u.value('sending')}`);
      for (const [name, value] of Object.entries(outcome)) {
        if (value === undefined) u.remove([field, role, name]);
        else u.set([field, role, name], value);
      }
      u.set([field, role, 'updatedAt'], entry.at);
    }
    for (const { role, states } of then?.others ?? []) {
      u.when(`${u.name(field, role, 'state')} IN (${states.map((s) => u.value(s)).join(', ')})`);
    }
    return this.apply(id, u.changes([...records.map((r) => r.entry), ...(then ? [then.entry] : [])]));
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
      const item = result.Attributes as LetterItem;
      // Events wait in the tail, shown and chained on read, until there are enough to seal together.
      if (tailIsFull(item.tail)) await this.sealQuietly(id, item);
      return toLetter(item);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionNotMetError();
      throw error;
    }
  }
}
