import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { AccessEntry, HistoryEntry } from '../../core/letter';
import type { Page, PageRequest, StoredRecord } from '../../core/ports';
import { type ChainHead, chainEvents, EMPTY_CHAIN, type SealedEvent } from '../../core/record';
import { MalformedRequestError } from '../../core/errors';
import type { CursorSeal } from '../cursors';
import { sendInBatches } from './batches';
import { ACCESS_FIRST, ACCESS_LAST, eventSk, FIRST_EVENT_SK, keys, LETTER_SK, type LetterItem, toLetter } from './letter-table';

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/** How often a writer tries to seal its own event before leaving it to the next writer. */
const SEAL_ATTEMPTS = 8;

/**
 * A tail is sealed once it holds this many events or this many bytes of event JSON, not after
 * every write: a seal costs a batch write of the events and a rewrite of the whole letter item
 * (an ~8 KB item is ~8 write units), two calls and their time in the stage that makes them, while
 * an event waiting in the tail costs only its own bytes in each later write of the item (a few
 * hundred bytes an event). Sixteen events hold a letter's whole life from draft to delivery
 * (created, submitted, approved, rendered, three sent, distributed, three delivered) with room for
 * a return or an address fix, so most letters are never sealed on the way; a letter with a longer
 * record is sealed sixteen events at a time. Until then its events are shown, numbered and hashed
 * on every read as they will be sealed. The byte bound keeps the item well inside DynamoDB's
 * 400 KB: findings hold at most 100 KB, and one write adds at most one change event carrying a
 * finding's text before and after (2 × 3,000 characters, ≤ 24 KB in UTF-8), so a tail under 32 KB
 * never passes ~56 KB even in the write that fills it, and a failed seal is retried by every later write.
 */
export const SEAL_AT_EVENTS = 16;
export const SEAL_AT_BYTES = 32_000;

/** Whether a tail is due to be sealed by the write that left it so. */
export function tailIsFull(tail: HistoryEntry[] | undefined): boolean {
  if (!tail?.length) return false;
  return tail.length >= SEAL_AT_EVENTS || Buffer.byteLength(JSON.stringify(tail)) >= SEAL_AT_BYTES;
}

interface EventItem extends SealedEvent {
  pk: string;
  sk: string;
}

const notOurs = () =>
  new MalformedRequestError('The cursor is not one this listing returned.', [{ field: 'cursor', message: 'is not a cursor returned by this listing' }]);

const toEntry = (item: EventItem): HistoryEntry => ({ ...item.event, seq: item.seq, hash: item.hash });

/**
 * A letter's chained record and access log, in the letter's own partition.
 *
 * A change of the letter appends its event to the item's `tail` in the same conditional write,
 * so the event is never lost and concurrent writers never wait for each other. Sealing then
 * chains the tail onto the sealed head (the hashes depend only on the events, so every sealer
 * computes the same items), writes one item per event and trims the tail on condition that the
 * head is still the one it chained from. Whoever loses that race reads again and seals what is
 * left; a writer that stops midway leaves its event in the tail for the next one.
 */
export class DynamoDbLetterRecord {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Cursors are sealed to the letter and the listing (history or access log) they page. */
    private readonly cursors: () => CursorSeal,
  ) {}

  /**
   * Where the next page of a letter's events starts: below event `before`. `sealed` is the
   * sealed head's number when the page was read: events up to it are items for good, so a page
   * below it needs no read of the letter's tail.
   */
  historyCursor(id: string, before: number, sealed: number): string {
    return this.cursors().seal(`history#${id}`, { before, sealed });
  }

  /** Seals running in this process, by letter; each resolves to the head it left sealed. */
  private readonly sealing = new Map<string, Promise<ChainHead | undefined>>();

  /**
   * Seals the events in `item`'s tail. Writes to one letter made together in this process (say,
   * mail events arriving at once) seal one after another, each starting from the head the one
   * before it left, rather than racing each other and reading the letter again to catch up.
   */
  async seal(id: string, item: LetterItem): Promise<void> {
    const before = this.sealing.get(id);
    const run = (async () => this.sealFrom(id, item, await before?.catch(() => undefined)))();
    this.sealing.set(id, run);
    try {
      await run;
    } finally {
      if (this.sealing.get(id) === run) this.sealing.delete(id);
    }
  }

  private async sealFrom(id: string, item: LetterItem, known: ChainHead | undefined): Promise<ChainHead | undefined> {
    let current: LetterItem | undefined = item;
    const target = (item.head?.seq ?? 0) + (item.tail?.length ?? 0);
    const itemHead = item.head ?? EMPTY_CHAIN;
    if (known && known.seq > itemHead.seq) {
      // Sealed since this item was written: the first of its tail's events are the ones sealed.
      current = { ...item, head: known, tail: (item.tail ?? []).slice(known.seq - itemHead.seq) };
    }
    for (let attempt = 0; attempt < SEAL_ATTEMPTS && current; attempt++) {
      const head = current.head ?? EMPTY_CHAIN;
      const tail = current.tail ?? [];
      if (head.seq >= target || tail.length === 0) return head;
      const sealed = chainEvents(head, tail);
      const sealedHead = { seq: sealed.at(-1)!.seq, hash: sealed.at(-1)!.hash };
      await this.putEvents(id, sealed);
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.letter(id),
            // Highest index first: DynamoDB reads every index against the list as it was, while
            // dynalite removes them one after another; in this order both remove the same events.
            UpdateExpression: `SET #head = :head REMOVE ${sealed.map((_, i) => `#tail[${i}]`).reverse().join(', ')}`,
            ConditionExpression: head.seq === 0 ? '(attribute_not_exists(#head) OR #head.#seq = :seq)' : '#head.#seq = :seq',
            ExpressionAttributeNames: { '#head': 'head', '#tail': 'tail', '#seq': 'seq' },
            ExpressionAttributeValues: { ':head': sealedHead, ':seq': head.seq },
          }),
        );
        return sealedHead;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      current = await this.letterItem(id);
    }
    return undefined;
  }

  /** The letter and its latest sealed events, newest first, in one Query that starts at `LETTER`. */
  async letterWithHistory(id: string, limit: number): Promise<{ item?: LetterItem; sealed: HistoryEntry[]; more: boolean }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :letter',
        ExpressionAttributeValues: { ':pk': keys.letterPk(id), ':first': FIRST_EVENT_SK, ':letter': LETTER_SK },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: limit + 1,
      }),
    );
    const items = page.Items ?? [];
    const item = items[0]?.sk === LETTER_SK ? (items[0] as LetterItem) : undefined;
    const sealed = (item ? items.slice(1) : items).map((i) => toEntry(i as EventItem));
    return { item, sealed, more: (sealed.at(-1)?.seq ?? 1) > 1 };
  }

  /**
   * A page of events, newest first. The first page (no cursor) reads the letter with its latest
   * sealed events; its tail holds the newest events until they are sealed. A cursor says where
   * the page before ended and how far the record was sealed then: a page that may start among
   * events that were in the tail reads the letter again in the same way (they may have been
   * sealed since), and a page short of its limit goes on down the sealed items, which hold every
   * event up to the sealed head.
   */
  async history(id: string, request: PageRequest): Promise<Page<HistoryEntry>> {
    let before = Number.POSITIVE_INFINITY;
    let sealedSeq = 0;
    if (request.cursor) {
      const position = this.cursors().open(`history#${id}`, request.cursor);
      before = Number(position.before);
      sealedSeq = Number(position.sealed ?? 0);
      if (!Number.isSafeInteger(before) || before < 1 || !Number.isSafeInteger(sealedSeq) || sealedSeq < 0) throw notOurs();
      if (before <= 1) return { items: [] };
    }
    let events: HistoryEntry[] = [];
    if (before - 1 > sealedSeq) {
      const { item, sealed } = await this.letterWithHistory(id, request.limit);
      if (!item) return { items: [] };
      sealedSeq = Math.max(sealedSeq, item.head?.seq ?? 0);
      events = toLetter(item, sealed).history.filter((e) => (e.seq ?? 0) < before);
    }
    events = events.slice(0, request.limit);
    const from = events.at(-1)?.seq ?? Math.min(before, sealedSeq + 1);
    if (events.length < request.limit && from > 1) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
          ExpressionAttributeValues: { ':pk': keys.letterPk(id), ':first': FIRST_EVENT_SK, ':last': eventSk(from - 1) },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: request.limit - events.length,
        }),
      );
      events.push(...(page.Items ?? []).map((i) => toEntry(i as EventItem)));
    }
    const oldest = events.at(-1)?.seq ?? 1;
    return { items: events, nextCursor: oldest > 1 ? this.historyCursor(id, oldest, sealedSeq) : undefined };
  }

  /**
   * Every sealed event, oldest first, with the letter's head and unsealed tail. The Query runs
   * down from the letter, so every event up to the head it read is already an item; items past
   * that head that are the tail's own events chained (a seal midway, or one that stopped there)
   * are left out: until the head moves they are the tail, and the tail is what counts.
   */
  async record(id: string): Promise<StoredRecord | undefined> {
    const items: Record<string, any>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :letter',
          ExpressionAttributeValues: { ':pk': keys.letterPk(id), ':first': FIRST_EVENT_SK, ':letter': LETTER_SK },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const letter = items[0]?.sk === LETTER_SK ? (items[0] as LetterItem) : undefined;
    if (!letter) return undefined;
    const sealedHead = letter.head ?? EMPTY_CHAIN;
    const unsealed = letter.tail ?? [];
    const pending = new Map(chainEvents(sealedHead, unsealed).map((e) => [e.seq, e.hash]));
    const stored = items
      .slice(1)
      .reverse()
      .map((item): SealedEvent => ({ seq: item.seq, event: item.event, prev: item.prev, hash: item.hash }))
      .filter((item) => !(item.seq > sealedHead.seq && pending.get(item.seq) === item.hash));
    return { stored, sealedHead, unsealed };
  }

  async recordAccess(id: string, entry: AccessEntry): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.access(id, entry.at, randomUUID()), entry } }));
  }

  async accessLog(id: string, request: PageRequest): Promise<Page<AccessEntry>> {
    const scope = `access#${id}`;
    const start = request.cursor ? this.cursors().open(scope, request.cursor) : undefined;
    if (start && (start.pk !== keys.letterPk(id) || typeof start.sk !== 'string' || !start.sk.startsWith(ACCESS_FIRST))) throw notOurs();
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':pk': keys.letterPk(id), ':first': ACCESS_FIRST, ':last': ACCESS_LAST },
        ScanIndexForward: false,
        Limit: request.limit,
        ExclusiveStartKey: start,
      }),
    );
    return {
      items: (page.Items ?? []).map((i) => i.entry as AccessEntry),
      nextCursor: page.LastEvaluatedKey ? this.cursors().seal(scope, page.LastEvaluatedKey) : undefined,
    };
  }

  async linkPdf(sha256: string, letterId: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.pdf(sha256), letterId } }));
  }

  async findByPdf(sha256: string): Promise<string | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.pdf(sha256) }));
    return Item?.letterId as string | undefined;
  }

  private async letterItem(id: string): Promise<LetterItem | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.letter(id), ConsistentRead: true }));
    return Item as LetterItem | undefined;
  }

  /** Writes sealed events, 25 to a batch; the same event always makes the same item, so a repeat is harmless. */
  private async putEvents(id: string, sealed: SealedEvent[]): Promise<void> {
    const requests = sealed.map((event) => ({ PutRequest: { Item: { ...keys.event(id, event.seq), ...event } } }));
    await sendInBatches(
      requests,
      25,
      async (batch) => {
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
        return (result.UnprocessedItems?.[this.tableName] ?? []) as typeof batch;
      },
      () => new Error(`could not store the events of letter ${id}`),
    );
  }
}
