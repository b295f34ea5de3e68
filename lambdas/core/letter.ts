import type { FindingCategory, LetterFacts, RecipientRole } from './letter-schema';

export const LETTER_STATUSES = ['draft', 'submitted', 'approved', 'rendered', 'distributed'] as const;
export type LetterStatus = (typeof LETTER_STATUSES)[number];

export const DELIVERY_STATES = ['pending', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface Finding {
  id: string;
  category: FindingCategory;
  text: string;
}

/** What a letter says: its facts and its findings, in order. This is what gets rendered. */
export interface LetterContent extends LetterFacts {
  findings: Finding[] | { category: FindingCategory; text: string }[];
}

export interface Actor {
  /** Stable subject of the token. */
  id: string;
  name: string;
  role: Role;
}

export type Role = 'inspector' | 'manager' | 'reader';

export interface HistoryEntry {
  at: string;
  by: string;
  role: Role | 'system';
  action: string;
  detail?: string;
  version?: number;
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
  /** Identifies the worker that claimed the send, so only it records the outcome. */
  claim?: string;
  updatedAt: string;
}

export interface Approval {
  by: string;
  byName: string;
  at: string;
  version: number;
  /** The letter exactly as approved: what is rendered and archived, never changed again. */
  snapshot: LetterContent & { findings: Finding[] };
}

export interface Letter {
  id: string;
  status: LetterStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  facts: LetterFacts;
  findings: Finding[];
  returnComment?: string;
  approval?: Approval;
  pdf?: PdfRecord;
  deliveries?: Partial<Record<RecipientRole, Delivery>>;
  history: HistoryEntry[];
}

/** Findings are kept in the order they were added; their ids sort by creation time. */
export function orderedFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function contentOf(letter: Letter): LetterContent & { findings: Finding[] } {
  return { ...letter.facts, findings: orderedFindings(letter.findings) };
}
