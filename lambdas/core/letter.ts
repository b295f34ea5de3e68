import { type ChainHead, firstRecord } from './record';
import { type ActorRecord, actorRecord } from './actor';
import type { CouncilChange } from './council';
import type { AddressDifference, RecipientOverride } from './recipients';
import { ValidationError } from './errors';
import { type DraftFacts, type FindingCategory, type LetterFacts, missingFacts, type RecipientRole } from './letter-schema';

export const LETTER_STATUSES = ['draft', 'submitted', 'approved', 'rendered', 'distributed', 'superseded', 'withdrawn'] as const;
export type LetterStatus = (typeof LETTER_STATUSES)[number];

export const DELIVERY_STATES = ['pending', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A copy in one of these states did not reach its recipient: a person has something to do. */
export const PROBLEM_STATES: readonly DeliveryState[] = ['bounced', 'complained', 'failed'];

export interface Finding {
  id: string;
  category: FindingCategory;
  text: string;
  /** Its place among the findings of its category, once someone has moved them; by id until then. */
  order?: number;
}

/** The letter a correction replaces: the letter itself says so. */
export interface Replaced {
  id: string;
  letterDate: string;
}

/** What a letter says: its facts and its findings, in order. This is what gets rendered. */
export interface LetterContent extends LetterFacts {
  findings: Finding[] | { category: FindingCategory; text: string }[];
  /** Set on a correction: the letter it replaces. */
  replaces?: Replaced;
}

/** Who is acting now: their record (subject id and name) and the role their token gives them. */
export interface Actor extends ActorRecord {
  role: Role;
}

export type Role = 'inspector' | 'manager' | 'reader';

/** One lifecycle or delivery event of a letter's record. */
export interface HistoryEntry {
  at: string;
  by: ActorRecord;
  role: Role | 'system';
  action: string;
  detail?: string;
  version?: number;
  /** SHA-256 digests the event vouches for: the approval snapshot, the archived PDF and HTML. */
  covers?: Record<string, string>;
  /** Its number in the letter's record, from 1; set once recorded. */
  seq?: number;
  /** Its hash in the chain, once sealed. */
  hash?: string;
  /** A changed finding: which it was (its number within its category) and its text before and after. */
  change?: { category: FindingCategory; number: number; before: string; after: string };
}

/** A retrieval of an archived letter: kept beside the letter, outside its chained record. */
export interface AccessEntry {
  at: string;
  by: ActorRecord;
  role: Role;
  action: 'read' | 'pdf-retrieved' | 'html-retrieved';
}

export interface PdfRecord {
  key: string;
  sha256: string;
  bytes: number;
  pages: number;
  manifestKey: string;
  htmlKey: string;
  renderedAt: string;
}

export interface Delivery {
  role: RecipientRole;
  email: string;
  state: DeliveryState;
  messageId?: string;
  lastError?: string;
  attempts: number;
  /** Identifies the worker that claimed the send, so only it records the outcome; the message carries it as a tag. */
  claim?: string;
  /** When the mail service's latest applied event about this copy happened: an older event never overwrites it. */
  eventAt?: string;
  /** The address a manager put in place of one that bounced, complained or failed, and why. */
  addressFix?: AddressFix;
  updatedAt: string;
}

export interface AddressFix {
  from: string;
  email: string;
  reason: string;
  /** The manager who changed it: another manager sends to it. */
  by: ActorRecord;
  at: string;
}

export interface Withdrawal {
  reason: string;
  by: ActorRecord;
  at: string;
}

export interface Approval {
  by: ActorRecord;
  at: string;
  version: number;
  /** The letter exactly as approved: what is rendered and archived, never changed again. */
  snapshot: LetterContent & { findings: Finding[] };
  /** The council's directory entry the recipients were frozen from, and how they differed from it. */
  council?: { code: string; version: number };
  addressDifferences?: AddressDifference[];
}

/** The council's directory entry as a letter was read against it: when it last changed, and by whom. */
export interface CouncilStamp {
  code: string;
  version: number;
  updatedAt: string;
  updatedBy: ActorRecord;
  /** Every change to the entry: four eyes asks whether the reader made one since the letter was created. */
  changes: CouncilChange[];
}

export interface Letter {
  id: string;
  status: LetterStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: ActorRecord;
  /**
   * Subject ids of everyone who changed the letter's content or addresses, or submitted it, its
   * creator first: none of them may approve it (four eyes).
   */
  contributors: string[];
  /** Every fact but the council may be missing from a draft; submit requires them all. */
  facts: DraftFacts;
  findings: Finding[];
  returnComment?: string;
  /** A manager's recipients that differ from the council directory, with the reason. */
  recipientOverride?: RecipientOverride;
  approval?: Approval;
  pdf?: PdfRecord;
  deliveries?: Partial<Record<RecipientRole, Delivery>>;
  /** A correction: the letter it replaces. */
  supersedes?: Replaced;
  /** The correction that replaced this letter, once it was distributed. */
  supersededBy?: { id: string };
  /**
   * The correction started of this letter: one at a time. It stays open until it is distributed
   * and supersedes this letter; a further correction is then a correction of the correction.
   */
  correction?: { id: string; /** Set when the correction is approved: this letter is then on its way to being replaced. */ approvedAt?: string };
  withdrawal?: Withdrawal;
  /** The withdrawal notices, one per recipient, sent exactly once like the letter. */
  notices?: Partial<Record<RecipientRole, Delivery>>;
  /** The latest events, newest first (at most a page of them). */
  history: HistoryEntry[];
  /** Where the next, older page of events starts, when there is one. */
  historyNext?: string;
  /** The record's head: the latest event's number and hash. */
  head: ChainHead;
  /** UTF-8 bytes of all findings' text together, held under LIMITS.findingsBytes by every write. */
  findingsBytes: number;
  /** Worked out as the letter is read, never stored: how its recipients differ from the directory, and the entry compared. */
  addressDifferences?: AddressDifference[];
  council?: CouncilStamp;
}

/** Whether any copy of the letter bounced, drew a complaint or failed. */
export const hasDeliveryProblem = (letter: Pick<Letter, 'deliveries'>) =>
  Object.values(letter.deliveries ?? {}).some((d) => d && PROBLEM_STATES.includes(d.state));

/**
 * Findings in the order the letter prints them: by the place a move gave them, then in the
 * order they were added (their ids sort by creation time), so a finding added after a move
 * goes to the end of its category.
 */
export function orderedFindings(findings: Finding[]): Finding[] {
  const place = (f: Finding) => f.order ?? Number.MAX_SAFE_INTEGER;
  return [...findings].sort((a, b) => place(a) - place(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The places of a category's findings after one of them moves in front of `before` (or to the
 * end when `before` is null): every finding of the category, numbered from 0.
 */
export function placesAfterMove(findings: Finding[], moving: Finding, before: string | null): Record<string, number> {
  const siblings = orderedFindings(findings).filter((f) => f.category === moving.category && f.id !== moving.id);
  const at = before === null ? siblings.length : siblings.findIndex((f) => f.id === before);
  siblings.splice(at, 0, moving);
  return Object.fromEntries(siblings.map((f, i) => [f.id, i]));
}

/** The facts of a letter that has them all; a draft that lacks some is refused, naming them. */
export function completeFacts(letter: Pick<Letter, 'facts'>): LetterFacts {
  const missing = missingFacts(letter.facts);
  if (missing.length) throw new ValidationError(missing.map((field) => ({ field, message: 'is required before the letter is submitted, previewed or sent' })));
  return letter.facts as LetterFacts;
}

/** What the letter says, as it is rendered: only a letter with all its facts has any. */
export function contentOf(letter: Pick<Letter, 'facts' | 'findings' | 'supersedes'>): LetterContent & { findings: Finding[] } {
  completeFacts(letter);
  return contentAsApproved(letter);
}

/** What an approved letter says, from its facts (complete, since it was approved) and findings. */
export function contentAsApproved(letter: Pick<Letter, 'facts' | 'findings' | 'supersedes'>): LetterContent & { findings: Finding[] } {
  return {
    ...(letter.facts as LetterFacts),
    findings: orderedFindings(letter.findings).map(({ order: _order, ...finding }) => finding),
    ...(letter.supersedes ? { replaces: letter.supersedes } : {}),
  };
}

/** The history action of a render that refused the letter for its length. */
export const RENDER_REFUSED = 'render-refused';

/**
 * Whether the render stage refused the letter as last approved: a refusal newer than the latest
 * approval. A refusal is final for that approval (no later job prints it); a return to its
 * authors and a new approval start again.
 */
export function refusedAtRender(letter: Pick<Letter, 'history'>): boolean {
  // History is newest first and holds at least the latest events, the approval and any refusal among them.
  const latest = letter.history.find((h) => h.action === 'approved' || h.action === RENDER_REFUSED);
  return latest?.action === RENDER_REFUSED;
}

/** What a finding costs in the letter's byte budget: DynamoDB counts item sizes in UTF-8. */
export const findingBytes = (finding: Pick<Finding, 'text'>) => Buffer.byteLength(finding.text, 'utf8');

/** What a new draft is made of: its creator, its first event, its facts and findings, and what it replaces. */
export interface DraftSeed {
  id: string;
  actor: Actor;
  /** The event that creates it: version 1 of the letter. */
  created: HistoryEntry;
  facts: DraftFacts;
  findings: { category: FindingCategory; text: string }[];
  /** Gives each finding its id, in order, so they keep the order given. */
  findingId: () => string;
  recipientOverride?: RecipientOverride;
  supersedes?: Replaced;
}

/** A new draft at version 1, whether created or started as a correction: one shape for both. */
export function newDraft(seed: DraftSeed): Letter {
  const { id, actor, created, facts, findingId, recipientOverride, supersedes } = seed;
  const findings = seed.findings.map((f) => ({ id: findingId(), category: f.category, text: f.text }));
  return {
    id,
    status: 'draft',
    version: 1,
    createdAt: created.at,
    updatedAt: created.at,
    createdBy: actorRecord(actor),
    contributors: [actor.sub],
    facts,
    findings,
    findingsBytes: findings.reduce((n, f) => n + findingBytes(f), 0),
    ...(recipientOverride ? { recipientOverride } : {}),
    ...(supersedes ? { supersedes } : {}),
    ...firstRecord({ ...created, version: 1 }),
  };
}
