import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { Finding, HistoryEntry, Letter } from '../../core/letter';

/**
 * One table holds letters (one item each), audit entries of reads (one item each, beside their
 * letter) and the preview each person has in flight; delivery events find their letter by the
 * tags on each message, with no look-up item. Three indexes serve the letter search: by date,
 * by council and by status, each sorted by letter date.
 */
export const LETTER_INDEXES = {
  byDate: { partitionKey: 'listPk', sortKey: 'listSk' },
  byAuthority: { partitionKey: 'authorityKey', sortKey: 'listSk' },
  byStatus: { partitionKey: 'status', sortKey: 'listSk' },
} as const;

export type LetterIndexName = keyof typeof LETTER_INDEXES;

export const keys = {
  letter: (id: string) => ({ pk: `LETTER#${id}`, sk: 'LETTER' }),
  letterPk: (id: string) => `LETTER#${id}`,
  audit: (id: string, at: string, unique: string) => ({ pk: `LETTER#${id}`, sk: `AUDIT#${at}#${unique}` }),
  previewSlot: (personId: string) => ({ pk: `PREVIEW#${personId}`, sk: 'PREVIEW' }),
};

/** All letters share one partition of the date index; letters number thousands a year, not millions. */
export const LIST_PARTITION = 'LETTER';

/** Council names are matched ignoring case and spacing. */
export const authorityKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** Newest first by letter date; the id, which sorts by creation time, breaks ties and makes the key unique. */
export const listSortKey = (letterDate: string, id: string) => `${letterDate}#${id}`;

/** A letter as stored: its keys for the table and the indexes beside its fields. */
export interface LetterItem extends Omit<Letter, 'findings'> {
  pk: string;
  sk: string;
  listPk: string;
  listSk: string;
  authorityKey: string;
  /** Findings by id, so that concurrent edits of different findings never collide. */
  findings: Record<string, Finding>;
}

/** The keys that place a letter in the search indexes. */
export function listingKeys(letter: Pick<Letter, 'id' | 'facts'>) {
  return {
    listPk: LIST_PARTITION,
    listSk: listSortKey(letter.facts.letterDate, letter.id),
    authorityKey: authorityKey(letter.facts.authority.name),
  };
}

export function toItem(letter: Letter): LetterItem {
  return { ...keys.letter(letter.id), ...letter, ...listingKeys(letter), findings: Object.fromEntries(letter.findings.map((f) => [f.id, f])) };
}

/** The letter an item holds, with the audit entries stored beside it merged into its history. */
export function toLetter(item: LetterItem, audit: HistoryEntry[] = []): Letter {
  const { pk: _pk, sk: _sk, listPk: _lp, listSk: _ls, authorityKey: _ak, findings, ...rest } = item;
  const history = [...(rest.history ?? []), ...audit].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { ...rest, findings: Object.values(findings ?? {}), history };
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
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
