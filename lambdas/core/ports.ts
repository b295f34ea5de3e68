import type { RecipientRole } from './letter-schema';
import type { Actor, Delivery, DeliveryState, Finding, HistoryEntry, Letter, LetterContent, LetterStatus, PdfRecord } from './letter';

/** Thrown by a repository when a conditional write finds the letter not as expected. */
export class ConditionNotMetError extends Error {
  constructor() {
    super('conditional write not applied');
    this.name = 'ConditionNotMetError';
  }
}

export interface LetterQuery {
  authority?: string;
  status?: LetterStatus;
  /** Only letters in one of these states, for roles that see part of the register. */
  statusIn?: LetterStatus[];
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface LetterPage {
  items: Letter[];
  nextCursor?: string;
}

export interface TransitionChange {
  from: LetterStatus[];
  to: LetterStatus;
  expectedVersion?: number;
  entry: HistoryEntry;
  approval?: Letter['approval'];
  returnComment?: string | null;
  pdf?: PdfRecord;
  deliveries?: Letter['deliveries'];
}

/**
 * Letters are stored one item each; every change is one conditional write on that item, so
 * concurrent editors never lose each other's work. Reads of archived letters are audited as
 * separate items, merged into `history` by `get`.
 */
export interface LetterRepository {
  create(letter: Letter): Promise<void>;
  get(id: string): Promise<Letter | undefined>;
  /** Replaces the facts of a draft at the expected version. */
  replaceFacts(id: string, expectedVersion: number, facts: Letter['facts'], entry: HistoryEntry): Promise<Letter>;
  addFinding(id: string, finding: Finding, maxFindings: number, entry: HistoryEntry): Promise<Letter>;
  replaceFinding(id: string, finding: Finding, expectedVersion: number | undefined, entry: HistoryEntry): Promise<Letter>;
  removeFinding(id: string, findingId: string, expectedVersion: number | undefined, entry: HistoryEntry): Promise<Letter>;
  transition(id: string, change: TransitionChange): Promise<Letter>;
  appendAudit(id: string, entry: HistoryEntry): Promise<void>;
  list(query: LetterQuery): Promise<LetterPage>;

  /** Takes the right to send to these recipients, all or none, in one write: only one worker ever holds it. */
  claimDeliveries(id: string, roles: RecipientRole[], claim: string, from: DeliveryState[], at: string): Promise<boolean>;
  /** Records the outcome of a claimed send; ignored unless `claim` still holds it. */
  recordDelivery(id: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>, entry: HistoryEntry): Promise<Letter>;
  /** Puts failed recipients back to pending so a new distribute job sends to them; returns the roles reset. */
  requeueFailedDeliveries(id: string, roles: RecipientRole[], entry: HistoryEntry): Promise<Letter>;
  /** Records a delivery event reported by the mail service for a message id. */
  recordDeliveryEvent(messageId: string, state: DeliveryState, detail: string | undefined, at: string): Promise<'applied' | 'held'>;
}

/** The HTML the letter is printed from. Pure: the same content gives the same HTML. */
export interface LetterTemplate {
  readonly templateId: string;
  readonly templateVersion: string;
  render(content: LetterContent, options?: { draft?: boolean }): string;
  /** What the PDF says about itself: title, author, subject, keywords, language. */
  pdfMetadata(content: LetterContent): PdfMetadata;
}

export interface RenderedPdf {
  pdf: Buffer;
  pages: number;
}

export interface PdfMetadata {
  title: string;
  author: string;
  subject: string;
  keywords: string[];
  lang: string;
}

export interface PdfRenderer {
  /** Identifies the renderer (browser version, fonts) for the manifest. */
  fingerprint(): Promise<string>;
  render(html: string, metadata: PdfMetadata): Promise<RenderedPdf>;
  close(): Promise<void>;
}

export interface ArchiveStore {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  presignedGetUrl(key: string, expiresInSeconds: number, downloadName: string): Promise<string>;
}

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachment: { filename: string; contentType: string; content: Buffer };
  /** Headers that tie the message to a letter and recipient, for tracing. */
  headers: Record<string, string>;
}

/** Failures a retry can help with (throttling, 5xx) throw this; anything else is permanent. */
export class RetryableSendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableSendError';
  }
}

export interface Mailer {
  /** Sends one message and returns the mail service's message id. */
  send(email: OutgoingEmail): Promise<string>;
}

export type JobName = 'render' | 'distribute';

export interface JobQueue {
  enqueue(job: JobName, body: { letterId: string; [k: string]: unknown }): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** Ids that sort by creation time. */
  next(): string;
}

/** What a request carries that proves who sent it. */
export interface Credentials {
  /** The Authorization header, or a session cookie's token, as sent. */
  bearerToken?: string;
  /** Claims an upstream authoriser (API Gateway's JWT authorizer) has already verified. */
  verifiedClaims?: Record<string, unknown>;
}

export interface Authenticator {
  /** Resolves the caller, or throws UnauthorizedError / ForbiddenError. */
  authenticate(credentials: Credentials): Promise<Actor>;
}
