import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type Approval, contentAsApproved, type Finding, type HistoryEntry, type Letter } from '../../core/letter';
import { type ChainHead, chainEnd, chainEvents, EMPTY_CHAIN, withoutChain } from '../../core/record';
import { councilNameKey } from '../../core/council-name';

/**
 * One table holds, in each letter's partition, the letter (`LETTER`), its chained events
 * (`EVENT#<seq>`, sealed) and its access log (`ACCESS#<at>#<unique>`); beside them, the preview
 * each person has in flight, PDF-hash lookups for verification and rate-limit counters; delivery
 * events find their letter by the tags on each message, with no look-up item. Sort keys are
 * chosen so that `EVENT#…` < `LETTER`: one Query, newest first from `LETTER`, reads the letter
 * and its latest events together, and never touches the access log. Three indexes serve the
 * letter search: by date, by council and by status, each sorted by letter date.
 */
export const LETTER_INDEXES = {
  byDate: { partitionKey: 'listPk', sortKey: 'listSk' },
  byAuthority: { partitionKey: 'authorityKey', sortKey: 'listSk' },
  byStatus: { partitionKey: 'status', sortKey: 'listSk' },
} as const;

export type LetterIndexName = keyof typeof LETTER_INDEXES;

/**
 * What the indexes hold besides the keys: what a search filters on (the status, the copies'
 * states). Never the whole letter: every write of a letter writes its projection into each index
 * again, billed by the projection's size, so whole letters would cost three times the table's
 * own writes. A search reads the letters it found by their keys.
 */
export const LETTER_INDEX_ATTRIBUTES = ['status', 'deliveries'] as const;

/** The attributes an index holds besides its own keys and the table's. */
export function indexProjection(index: { partitionKey: string; sortKey: string }): string[] {
  return LETTER_INDEX_ATTRIBUTES.filter((name) => name !== index.partitionKey && name !== index.sortKey);
}

export const keys = {
  letter: (id: string) => ({ pk: `LETTER#${id}`, sk: 'LETTER' }),
  letterPk: (id: string) => `LETTER#${id}`,
  event: (id: string, seq: number) => ({ pk: `LETTER#${id}`, sk: eventSk(seq) }),
  access: (id: string, at: string, unique: string) => ({ pk: `LETTER#${id}`, sk: `ACCESS#${at}#${unique}` }),
  previewSlot: (personId: string) => ({ pk: `PREVIEW#${personId}`, sk: 'PREVIEW' }),
  pdf: (sha256: string) => ({ pk: `PDF#${sha256}`, sk: 'PDF' }),
  rate: (bucket: string, window: number) => ({ pk: `RATE#${bucket}`, sk: `WINDOW#${window}` }),
};

/** Event numbers padded so that sort keys sort as numbers do. */
export const eventSk = (seq: number) => `EVENT#${String(seq).padStart(10, '0')}`;
export const FIRST_EVENT_SK = eventSk(1);
export const LETTER_SK = 'LETTER';
export const ACCESS_FIRST = 'ACCESS#';
export const ACCESS_LAST = 'ACCESS#~';

/** All letters share one partition of the date index; letters number thousands a year, not millions. */
export const LIST_PARTITION = 'LETTER';

/** Council names are matched as the directory matches them: NFKC, ignoring case and spacing. */
export const authorityKey = (name: string) => councilNameKey(name);

/** A draft not yet dated sorts before every date, newest first, and within no date range. */
export const UNDATED = '~';

/** Newest first by letter date; the id, which sorts by creation time, breaks ties and makes the key unique. */
export const listSortKey = (letterDate: string, id: string) => `${letterDate}#${id}`;

/** A letter as stored: its keys for the table and the indexes beside its fields. */
export interface LetterItem extends Omit<Letter, 'findings' | 'history' | 'historyNext' | 'head' | 'contributors' | 'approval'> {
  pk: string;
  /**
   * The approval without its snapshot: the item's own facts and findings are the snapshot, since
   * nothing changes them while the letter is approved (edits start from a draft, and the approving
   * write stores the facts with the recipients it froze). Items approved before this was so carry
   * the snapshot too.
   */
  approval?: Omit<Approval, 'snapshot'> & { snapshot?: Approval['snapshot'] };
  sk: string;
  listPk: string;
  listSk: string;
  authorityKey: string;
  /** Findings by id, so that concurrent edits of different findings never collide. */
  findings: Record<string, Finding>;
  /** The last sealed event: its number and hash. */
  head: ChainHead;
  /** Events written with the letter's changes and not yet sealed into items of their own, oldest first. */
  tail: HistoryEntry[];
  /** A string set, so that adding someone already there changes nothing. */
  contributors?: Set<string>;
}

/** The keys that place a letter in the search indexes. */
export function listingKeys(letter: Pick<Letter, 'id' | 'facts'>) {
  return {
    listPk: LIST_PARTITION,
    listSk: listSortKey(letter.facts.letterDate ?? UNDATED, letter.id),
    authorityKey: authorityKey(letter.facts.authority.name),
  };
}

/** A new letter's item: its history so far goes into the tail, to be sealed once stored. */
export function toItem(letter: Letter): LetterItem {
  const { history, historyNext: _next, head: _head, contributors, ...rest } = letter;
  return {
    ...keys.letter(letter.id),
    ...rest,
    ...listingKeys(letter),
    findings: Object.fromEntries(letter.findings.map((f) => [f.id, f])),
    contributors: new Set(contributors),
    head: EMPTY_CHAIN,
    tail: [...history].reverse().map(withoutChain),
  };
}

/**
 * The letter an item holds. `sealed` are its latest sealed events, newest first; the tail's
 * events, newer still, go before them, numbered after the sealed head.
 */
export function toLetter(item: LetterItem, sealed: HistoryEntry[] = []): Letter {
  const { pk: _pk, sk: _sk, listPk: _lp, listSk: _ls, authorityKey: _ak, findings, contributors, head, tail, ...rest } = item;
  const sealedHead = head ?? EMPTY_CHAIN;
  // Hashes depend only on the events, so those not yet sealed show the hashes they will be sealed with.
  const chained = chainEvents(sealedHead, tail ?? []);
  const unsealed = chained.map((e) => ({ ...e.event, seq: e.seq, hash: e.hash }));
  const history = [...unsealed.reverse(), ...sealed.filter((e) => (e.seq ?? 0) <= sealedHead.seq)];
  const { approval, ...others } = rest;
  const letter: Letter = {
    ...others,
    contributors: [...(contributors ?? [])],
    findings: Object.values(findings ?? {}),
    findingsBytes: rest.findingsBytes ?? 0,
    history,
    head: chainEnd(sealedHead, chained),
  };
  if (approval) letter.approval = { ...approval, snapshot: approval.snapshot ?? contentAsApproved(letter) };
  return letter;
}

/** What an approving write stores: the approval, and the snapshot's facts as the item's own (see LetterItem). */
export function approvalItem({ snapshot, ...approval }: Approval): { approval: LetterItem['approval']; facts: Letter['facts'] } {
  const { findings: _findings, replaces: _replaces, ...facts } = snapshot;
  return { approval, facts };
}

/** The table definition the local stack creates; the CDK stack declares the same. */
export function letterTableDefinition(tableName: string): CreateTableCommandInput {
  const attributes = new Set<string>(['pk', 'sk']);
  for (const index of Object.values(LETTER_INDEXES)) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: Object.entries(LETTER_INDEXES).map(([name, index]) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: indexProjection(index) },
    })),
  };
}
