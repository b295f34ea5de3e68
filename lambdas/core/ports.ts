import type { RecipientRole } from './letter-schema';
import type { AccessEntry, Actor, AddressFix, Delivery, DeliveryState, Finding, HistoryEntry, Letter, LetterContent, LetterStatus, PdfRecord } from './letter';
import type { ChainHead, SealedEvent } from './record';
import type { WriteGuard } from './transitions';

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
  /** Only letters with a copy that bounced, drew a complaint or failed. */
  deliveryProblem?: boolean;
  limit: number;
  cursor?: string;
}

export interface LetterPage {
  items: Letter[];
  nextCursor?: string;
}

/** What a write sets besides the status and version its guard gives. */
export interface LetterChange {
  entry: HistoryEntry;
  /** null removes it: a letter refused at render goes back to its authors unapproved. */
  approval?: Letter['approval'] | null;
  returnComment?: string | null;
  pdf?: PdfRecord;
  deliveries?: Letter['deliveries'];
  supersededBy?: Letter['supersededBy'];
  correction?: Letter['correction'] | null;
  withdrawal?: Letter['withdrawal'];
  notices?: Letter['notices'];
}

/** The letter itself, or the notice that it was withdrawn. */
export type CopyKind = 'letter' | 'notice';
export const COPY_KINDS: readonly CopyKind[] = ['letter', 'notice'];

/**
 * Which copy a message is: every message carries it as tags, and the mail service echoes them in
 * each event about the message, so an event finds its copy even when the message id was never
 * recorded (a worker that died between sending and recording). The claim tells sends apart.
 */
export interface CopyTag {
  letterId: string;
  role: RecipientRole;
  kind: CopyKind;
  claim: string;
}

export interface FindingLimits {
  findings: number;
  bytes: number;
}

export interface PageRequest {
  cursor?: string;
  limit: number;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface StoredRecord {
  stored: SealedEvent[];
  sealedHead: ChainHead;
  unsealed: HistoryEntry[];
}

/** Counts requests per client in fixed windows; the count is held in the write's condition. */
export interface RateLimiter {
  take(bucket: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

/** A delivery event reported by the mail service, read from its wire format at the edge. */
export interface MailEvent {
  messageId: string;
  state: DeliveryState;
  detail?: string;
  /** When it happened, by the mail service's clock: events are applied in this order, whatever order they arrive in. */
  at: string;
  /** The copy the message was, from its tags; absent for a message this service did not tag. */
  copy?: CopyTag;
}

/** A copy to send again: where it goes now, and the state it was read in. */
/** What became of one claimed send, to record. */
export interface DeliveryRecord {
  role: RecipientRole;
  claim: string;
  outcome: Partial<Delivery>;
  entry: HistoryEntry;
}

/** A change of status recorded with outcomes of sends: the letter distributed once its last copies are sent. */
export interface StatusAfterDelivery {
  guard: WriteGuard;
  entry: HistoryEntry;
  /** The copies not recorded in the same write, and the states each must be in. */
  others: { role: RecipientRole; states: DeliveryState[] }[];
}

export interface Resend {
  role: RecipientRole;
  state: DeliveryState;
  email: string;
  /** The address fix it was read with, so a change meanwhile refuses the write. */
  fixedAt?: string;
}

/**
 * Letters are stored one item each; every change is one conditional write on that item, so
 * concurrent editors never lose each other's work. Each letter write is held to a guard from the
 * table of actions (statuses, next status, version) and throws ConditionNotMetError when the
 * letter is not as the guard expects. Each change's event is written with it and sealed, with
 * others, into the letter's chained record; `get` returns the latest page of events, never more, and
 * retrievals go to an access log that no read of the letter loads.
 */
export interface LetterRepository {
  create(letter: Letter): Promise<void>;
  get(id: string): Promise<Letter | undefined>;
  /** Replaces the facts of a draft, and its recipients' override (none: removed). */
  replaceFacts(id: string, guard: WriteGuard, facts: Letter['facts'], entry: HistoryEntry, recipientOverride?: Letter['recipientOverride']): Promise<Letter>;
  /**
   * Adds a finding, on condition the letter holds fewer than `limits.findings` and its findings'
   * UTF-8 bytes stay within `limits.bytes` (a count kept on the letter and moved by each write).
   */
  addFinding(id: string, guard: WriteGuard, finding: Finding, limits: FindingLimits, entry: HistoryEntry): Promise<Letter>;
  /** Adds several findings in one write, all or none, on condition the letter has room for them all and the byte budget holds. */
  addFindings(id: string, guard: WriteGuard, findings: Finding[], limits: FindingLimits, entry: HistoryEntry): Promise<Letter>;
  /** Sets the places of findings within their category, on condition each of them exists. */
  placeFindings(id: string, guard: WriteGuard, places: Record<string, number>, entry: HistoryEntry): Promise<Letter>;
  /** Replaces a finding, on condition it still reads `previous` and the byte budget holds. */
  replaceFinding(id: string, guard: WriteGuard, finding: Finding, previous: Finding, limits: FindingLimits, entry: HistoryEntry): Promise<Letter>;
  /** Removes a finding, on condition it still reads as `removed`. */
  removeFinding(id: string, guard: WriteGuard, removed: Finding, entry: HistoryEntry): Promise<Letter>;
  /** Moves the letter to the guard's next status with the change's fields. */
  transition(id: string, guard: WriteGuard, change: LetterChange): Promise<Letter>;
  list(query: LetterQuery): Promise<LetterPage>;

  /** Adds an event to the letter's record that changes nothing else, such as a refused render (the version still rises, as with every change). */
  recordEvent(id: string, entry: HistoryEntry): Promise<void>;
  /** The letter's version, and whether it has been approved, read alone: a small read, whatever the letter's size. */
  versionOf(id: string): Promise<{ version: number; approved: boolean } | undefined>;
  /** A page of the letter's events, newest first. */
  history(id: string, page: PageRequest): Promise<Page<HistoryEntry>>;
  /** Every stored event, oldest first, with the letter's sealed head and its events not yet sealed. */
  readRecord(id: string): Promise<StoredRecord | undefined>;
  /** Adds a retrieval to the access log, outside the chained record. */
  recordAccess(id: string, entry: AccessEntry): Promise<void>;
  accessLog(id: string, page: PageRequest): Promise<Page<AccessEntry>>;
  /** Remembers which letter an archived PDF's SHA-256 belongs to. */
  linkPdf(sha256: string, letterId: string): Promise<void>;
  findByPdf(sha256: string): Promise<string | undefined>;

  /**
   * Takes the right to send these copies (the letter's, or the withdrawal notices), all or none,
   * in one write: only one worker ever holds it.
   */
  claimDeliveries(id: string, roles: RecipientRole[], claim: string, from: DeliveryState[], at: string, kind?: CopyKind): Promise<boolean>;
  /** Records the outcome of a claimed send; refused (ConditionNotMetError) unless `claim` still holds it and it is still sending. */
  recordDelivery(id: string, role: RecipientRole, claim: string, outcome: Partial<Delivery>, entry: HistoryEntry, kind?: CopyKind): Promise<Letter>;
  /**
   * Records the outcomes of several claimed sends in one write, each held to its claim as in
   * recordDelivery, and with them the change of status `then` names (its guard, event, and the
   * states the other copies must be in); refused (ConditionNotMetError) unless all of it holds.
   */
  recordDeliveries(id: string, records: DeliveryRecord[], kind: CopyKind, then?: StatusAfterDelivery): Promise<Letter>;
  /** Puts copies back to pending at their (possibly new) address, on condition each is still as read. */
  requeueDeliveries(id: string, guard: WriteGuard, resends: Resend[], entry: HistoryEntry): Promise<Letter>;
  /** Records a new address for a copy that did not arrive, on condition it is still in the state read. */
  fixAddress(id: string, guard: WriteGuard, role: RecipientRole, state: DeliveryState, fix: AddressFix, entry: HistoryEntry): Promise<Letter>;
  /**
   * Sets a copy's state from an event, on condition the event is about the copy's current send
   * (its claim, and its message id once recorded) and newer than the last event applied; undefined if not.
   */
  applyDeliveryEvent(copy: CopyTag, event: MailEvent, entry: HistoryEntry): Promise<Letter | undefined>;
}

/** The HTML the letter is printed from. Pure: the same content gives the same HTML. */
export interface LetterTemplate {
  readonly templateId: string;
  readonly templateVersion: string;
  /** The font files the letter is printed in and a hash of them, for the manifest. */
  readonly fonts: string;
  /** The Content-Security-Policy the template's HTML carries; whoever serves the HTML sends it as a header too. */
  readonly contentSecurityPolicy: string;
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
  /** The date the PDF says it was made; the letter's own date makes a re-render byte-for-byte identical. */
  creationDate?: Date;
}

/**
 * At most one DRAFT preview in flight per person, however many processes render them: a
 * person cannot queue up renders faster than they finish. A slot lapses on its own at `until`,
 * so a process that dies mid-preview frees it all the same.
 */
export interface PreviewSlots {
  /** Takes the person's slot for `holder`, or answers false while another preview holds it. */
  take(personId: string, holder: string, until: Date): Promise<boolean>;
  /** Gives the slot back, if `holder` still has it. */
  release(personId: string, holder: string): Promise<void>;
}

/** Archive renders and previews each take turns among themselves: a slow preview never holds up a letter. */
export type RenderLane = 'archive' | 'preview';

export interface RenderOptions {
  lane?: RenderLane;
  /**
   * The page limit: at most one page more is printed, so `pages` over it says the letter is too
   * long without the cost of printing all of it.
   */
  maxPages?: number;
}

export interface PdfRenderer {
  /** Identifies the renderer (the browser's version) for the manifest. */
  fingerprint(): Promise<string>;
  render(html: string, metadata: PdfMetadata, options?: RenderOptions): Promise<RenderedPdf>;
  close(): Promise<void>;
}

export interface ArchiveStore {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** The object, or undefined when there is none under the key (any other failure throws). */
  find(key: string): Promise<Buffer | undefined>;
  presignedGetUrl(key: string, expiresInSeconds: number, downloadName: string): Promise<string>;
}

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachment?: { filename: string; contentType: string; content: Buffer };
  /** Headers that tie the message to a letter and recipient, for tracing. */
  headers: Record<string, string>;
  /** Which copy the message is: sent as the mail service's message tags, which its events echo. */
  copy: CopyTag;
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
