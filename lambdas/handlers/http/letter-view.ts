import { z } from 'zod';
import type { Delivery, HistoryEntry, Letter } from '../../core/letter';
import { DELIVERY_STATES, hasDeliveryProblem, LETTER_STATUSES, orderedFindings } from '../../core/letter';
import { FINDING_CATEGORIES, LetterFactsShape, LIMITS, RECIPIENT_ROLES } from '../../core/letter-schema';

// The shapes the API answers with. The views below are typed by them, the OpenAPI document is
// generated from them, and the end-to-end tests check every response against that document.

const timestamp = z.string().openapi({ format: 'date-time', example: '2011-03-01T09:30:00.000Z' });
const ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/).openapi({ example: '01JD8Z3B5W5N8V8F2S0C1X9Y7Q' });

/** Who did something: the token's subject id, which four eyes and ownership compare, and the name people read. */
export const ActorView = z
  .strictObject({
    sub: z.string().openapi({ description: "The token's subject id; `system` (or `system:…`) for the service itself.", example: 'local:6f1c0d9e2b7a4c3d8e5f6a7b8c9d0e1f' }),
    name: z.string().openapi({ description: 'The display name, as the token gave it.', example: 'Mary Manager' }),
  })
  .openapi('Actor', { description: 'Who did something.' });

export const AddressDifferenceView = z
  .strictObject({
    field: z.string().openapi({ example: 'recipients.director.email' }),
    directory: z.string().openapi({ description: "The council directory's value (address lines joined with commas)." }),
    letter: z.string().openapi({ description: "The letter's value." }),
  })
  .openapi('AddressDifference', { description: "One field in which the letter's recipients differ from the council directory." });

export const CouncilStampView = z
  .strictObject({
    code: z.string().openapi({ example: 'durham-county-council' }),
    version: z.number().int().positive(),
    updatedAt: timestamp,
    updatedBy: ActorView,
  })
  .openapi('CouncilStamp', { description: "The council's directory entry the letter was read against: when it last changed, and by whom." });

export const LetterStatus = z.enum(LETTER_STATUSES).openapi('LetterStatus', {
  description: 'draft → submitted → approved → rendered → distributed; a distributed letter may then become superseded (its correction was distributed) or withdrawn.',
});

export const FindingView = z
  .strictObject({
    id: ulid.openapi({ description: 'The finding id; ids sort in the order the findings were added.' }),
    category: z.enum(FINDING_CATEGORIES),
    text: z.string().min(1).max(LIMITS.findingText),
  })
  .openapi('Finding', { description: 'One finding of the letter, with its id.' });

export const ApprovalView = z
  .strictObject({
    by: ActorView.openapi({ description: 'The approving manager.' }),
    at: timestamp,
    version: z.number().int().positive().openapi({ description: 'The version approved.' }),
  })
  .openapi('Approval', { description: 'Who approved the letter, when, and at which version. Present once approved.' });

export const PdfView = z
  .strictObject({
    key: z.string().openapi({ description: 'The S3 key of the archived PDF.' }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).openapi({ description: "The SHA-256 of the PDF's bytes, in hex." }),
    bytes: z.number().int().positive(),
    pages: z.number().int().positive(),
  })
  .openapi('Pdf', { description: 'The archived PDF. Null until the letter is rendered.' });

export const DeliveryView = z
  .strictObject({
    email: z.string().openapi({ description: 'The address the copy goes to.' }),
    state: z.enum(DELIVERY_STATES),
    messageId: z.string().nullable().openapi({ description: 'The SES message id, once sent.' }),
    lastError: z.string().nullable().openapi({ description: 'Why the last attempt failed, if it did.' }),
    attempts: z.number().int().min(0),
    updatedAt: timestamp,
    eventAt: timestamp.nullable().openapi({ description: "When the latest SES event applied to this copy happened, by SES's clock; older events never overwrite it." }),
    addressFix: z
      .strictObject({
        from: z.string().openapi({ description: 'The address the copy went to before.' }),
        email: z.string().openapi({ description: 'The new address; a redistribution sends to it.' }),
        reason: z.string(),
        by: ActorView.openapi({ description: 'The manager who changed it; another manager sends to it.' }),
        at: timestamp,
      })
      .optional()
      .openapi({ description: "A manager's new address for a copy that bounced, drew a complaint or failed." }),
  })
  .openapi('Delivery', { description: "One recipient's copy of the letter (or of its withdrawal notice) and where it stands." });

export const DeliveriesView = z
  .strictObject(Object.fromEntries(RECIPIENT_ROLES.map((role) => [role, DeliveryView.optional()])) as Record<(typeof RECIPIENT_ROLES)[number], z.ZodOptional<typeof DeliveryView>>)
  .openapi('Deliveries', { description: 'One entry per recipient role once the letter is rendered; empty before.' });

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const HistoryEventView = z
  .strictObject({
    seq: z.number().int().positive().openapi({ description: "The event's number in the letter's record, from 1, without gaps." }),
    at: timestamp,
    by: ActorView.openapi({ description: 'Who acted: a person, or the service.' }),
    role: z.enum(['inspector', 'manager', 'reader', 'system']),
    action: z.string().openapi({
      description: 'What happened: created, edited, finding-added, finding-edited, finding-removed, finding-moved, submitted, returned, approved, rendered, delivery-sent, delivery-failed, delivery-deferred, redistributed, distributed, and delivery events reported by the mail service.',
      example: 'submitted',
    }),
    detail: z.string().optional(),
    version: z.number().int().positive().optional().openapi({ description: 'The version the event produced, where it made one.' }),
    covers: z.record(z.string(), sha256Hex).optional().openapi({
      description: 'SHA-256 digests the event vouches for: `snapshotSha256` on approval, `pdfSha256` and `htmlSha256` on render.',
    }),
    change: z
      .strictObject({ category: z.enum(FINDING_CATEGORIES), number: z.number().int().positive(), before: z.string(), after: z.string() })
      .optional()
      .openapi({ description: 'On finding-edited: the finding as the letter numbers it within its category, and its text before and after.' }),
    hash: sha256Hex.openapi({ description: "SHA-256 of the previous event's hash followed by this event's canonical JSON (RFC 8785)." }),
  })
  .openapi('HistoryEvent', { description: "One lifecycle or delivery event, chained into the letter's record." });

export const HistoryPage = z
  .strictObject({
    items: z.array(HistoryEventView),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next, older page; null on the last page.' }),
  })
  .openapi('HistoryPage');

export const AccessEventView = z
  .strictObject({
    at: timestamp,
    by: ActorView.openapi({ description: 'Who retrieved the letter.' }),
    role: z.enum(['inspector', 'manager', 'reader']),
    action: z.enum(['read', 'pdf-retrieved', 'html-retrieved']),
  })
  .openapi('AccessEvent', { description: "A retrieval of an archived letter: kept beside it, outside its chained record." });

export const AccessPage = z
  .strictObject({
    items: z.array(AccessEventView),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next, older page; null on the last page.' }),
  })
  .openapi('AccessPage');

export const IntegrityView = z
  .strictObject({
    valid: z.boolean(),
    events: z.number().int().min(0).openapi({ description: 'How many events hold, from the first.' }),
    head: sha256Hex.openapi({ description: 'The hash of the last event that holds.' }),
    brokenAt: z.number().int().positive().nullable().openapi({ description: 'The number of the first event that does not hold; null when all do.' }),
    problem: z.string().nullable().openapi({
      description: "What else does not hold: an archived letter's manifest missing, unreadable or without the record's head (then valid is false); null otherwise.",
    }),
  })
  .openapi('Integrity');

export const VerificationView = z
  .strictObject({
    letterId: ulid,
    council: z.string(),
    letterDate: z.string().openapi({ format: 'date' }),
    approvedBy: z.string().openapi({ description: 'The name of the approving manager.' }),
    approvedAt: timestamp,
    status: LetterStatus,
    supersededBy: ulid.nullable().openapi({ description: 'The correction that replaced this letter, if any.' }),
  })
  .openapi('Verification', { description: 'The archived letter whose PDF has the SHA-256 asked about.' });

export type HistoryEventView = z.infer<typeof HistoryEventView>;

/** One event of the record as the API shows it. */
export function eventResponse(event: HistoryEntry): HistoryEventView {
  return {
    seq: event.seq!,
    at: event.at,
    by: event.by,
    role: event.role,
    action: event.action,
    ...(event.detail !== undefined ? { detail: event.detail } : {}),
    ...(event.version !== undefined ? { version: event.version } : {}),
    ...(event.covers ? { covers: event.covers } : {}),
    ...(event.change ? { change: event.change } : {}),
    hash: event.hash!,
  };
}

export const LetterLink = z.strictObject({ id: ulid }).openapi('LetterLink', { description: 'Another letter, by its id.' });
export const ReplacedView = z
  .strictObject({ id: ulid, letterDate: z.string().openapi({ format: 'date' }) })
  .openapi('Replaced', { description: 'The letter a correction replaces, and its date, which the corrected letter prints.' });

export const LetterView = z
  .strictObject({
    id: ulid,
    status: LetterStatus,
    version: z.number().int().positive().openapi({ description: 'Raised by every change; sent as the ETag.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
    createdBy: ActorView.openapi({ description: 'Who created the draft.' }),
    ...LetterFactsShape,
    // A part-finished draft may lack any fact but its council and recipients until it is submitted.
    letterDate: LetterFactsShape.letterDate.optional(),
    sender: LetterFactsShape.sender.optional(),
    inspection: LetterFactsShape.inspection.optional(),
    inspector: LetterFactsShape.inspector.optional(),
    summary: LetterFactsShape.summary.optional(),
    findings: z.array(FindingView).openapi({ description: 'The findings in order.' }),
    returnComment: z.string().optional().openapi({ description: "The manager's comment when the letter was last returned; cleared on submit." }),
    addressDifferences: z.array(AddressDifferenceView).openapi({
      description: 'Every field in which the recipients differ from the council directory: as it is now before approval, as it was at approval after.',
    }),
    addressOverride: z
      .strictObject({ reason: z.string(), by: ActorView, at: timestamp })
      .nullable()
      .openapi({ description: "The manager's reason for recipients that differ from the directory, who gave it and when; null when none differ." }),
    council: CouncilStampView.nullable(),
    approval: ApprovalView.optional(),
    pdf: PdfView.nullable(),
    deliveries: DeliveriesView,
    deliveryProblem: z.boolean().openapi({ description: 'Whether any copy bounced, drew a complaint or failed.' }),
    supersedes: ReplacedView.nullable().openapi({ description: 'On a correction: the letter it replaces once distributed.' }),
    supersededBy: LetterLink.nullable().openapi({ description: 'On a superseded letter: the correction that replaced it.' }),
    withdrawal: z
      .strictObject({ reason: z.string(), by: ActorView.openapi({ description: 'The manager who withdrew it.' }), at: timestamp })
      .optional()
      .openapi({ description: 'Present once the letter is withdrawn.' }),
    notices: DeliveriesView.optional().openapi({ description: 'The withdrawal notices, one per recipient; present once the letter is withdrawn.' }),
    history: z.array(HistoryEventView).optional().openapi({ description: 'The latest 20 events, newest first; GET …/history pages the rest. Not shown to readers.' }),
    historyNext: z.string().nullable().optional().openapi({ description: 'Pass as cursor to GET …/history for the older events; null when there are none. Not shown to readers.' }),
  })
  .openapi('Letter', { description: 'A letter: its facts, findings with ids, status, version, approval, PDF, deliveries and latest events.' });

export const LetterSummaryView = z
  .strictObject({
    id: ulid,
    status: LetterStatus,
    version: z.number().int().positive(),
    letterDate: z.string().optional().openapi({ format: 'date', description: 'Absent while a draft has no date yet.' }),
    authority: z.string().openapi({ description: "The council's name (authority.name of the letter)." }),
    inspector: z.string().optional().openapi({ description: "The inspector's name; absent while a draft has none yet." }),
    findings: z.number().int().min(0).openapi({ description: 'How many findings the letter has (the letter itself lists them).' }),
    updatedAt: timestamp,
    deliveryProblem: z.boolean().openapi({ description: 'Whether any copy bounced, drew a complaint or failed.' }),
    supersedes: ReplacedView.nullable(),
    supersededBy: LetterLink.nullable(),
  })
  .openapi('LetterSummary', { description: 'A letter as a search lists it.' });

export const LetterPage = z
  .strictObject({
    items: z.array(LetterSummaryView),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next page; null on the last page.' }),
  })
  .openapi('LetterPage');

/** An archived letter as a reader sees it: its content as approved, the approval, the PDF and the deliveries. */
export const ArchivedLetterView = LetterView.omit({
  createdAt: true,
  createdBy: true,
  addressDifferences: true,
  addressOverride: true,
  council: true,
  history: true,
  returnComment: true,
}).openapi('ArchivedLetter', { description: 'An archived letter as a reader sees it: its content as approved, the approval, the PDF and the deliveries.' });

export type LetterView = z.infer<typeof LetterView>;
export type LetterSummaryView = z.infer<typeof LetterSummaryView>;

/** Where each copy went and what became of it. */
function copiesResponse(copies: Letter['deliveries']): z.infer<typeof DeliveriesView> {
  return Object.fromEntries(
    Object.entries(copies ?? {}).map(([role, d]: [string, Delivery | undefined]) => [
      role,
      {
        email: d!.email,
        state: d!.state,
        messageId: d!.messageId ?? null,
        lastError: d!.lastError ?? null,
        attempts: d!.attempts,
        updatedAt: d!.updatedAt,
        eventAt: d!.eventAt ?? null,
        ...(d!.addressFix
          ? { addressFix: { from: d!.addressFix.from, email: d!.addressFix.email, reason: d!.addressFix.reason, by: d!.addressFix.by, at: d!.addressFix.at } }
          : {}),
      },
    ]),
  );
}

/**
 * The letter as the API shows it: its facts at the top level, like the documents it is created
 * from, with its latest events. Readers see the archived letter, not its record.
 */
export function letterResponse(letter: Letter, options: { withHistory?: boolean } = {}): LetterView {
  const withHistory = options.withHistory ?? true;
  return {
    id: letter.id,
    status: letter.status,
    version: letter.version,
    createdAt: letter.createdAt,
    updatedAt: letter.updatedAt,
    createdBy: letter.createdBy,
    ...letter.facts,
    // The order is the array's: a finding's stored place is not part of the API.
    findings: orderedFindings(letter.findings).map(({ order: _order, ...finding }) => finding),
    ...(letter.returnComment ? { returnComment: letter.returnComment } : {}),
    // Every field in which the recipients differ from the council directory, and the manager's reason.
    addressDifferences: letter.addressDifferences ?? [],
    addressOverride: letter.recipientOverride
      ? { reason: letter.recipientOverride.reason, by: letter.recipientOverride.by, at: letter.recipientOverride.at }
      : null,
    council: letter.council
      ? { code: letter.council.code, version: letter.council.version, updatedAt: letter.council.updatedAt, updatedBy: letter.council.updatedBy }
      : null,
    ...(letter.approval
      ? { approval: { by: letter.approval.by, at: letter.approval.at, version: letter.approval.version } }
      : {}),
    pdf: letter.pdf ? { key: letter.pdf.key, sha256: letter.pdf.sha256, bytes: letter.pdf.bytes, pages: letter.pdf.pages } : null,
    deliveries: copiesResponse(letter.deliveries),
    deliveryProblem: hasDeliveryProblem(letter),
    supersedes: letter.supersedes ?? null,
    supersededBy: letter.supersededBy ?? null,
    ...(letter.withdrawal
      ? { withdrawal: { reason: letter.withdrawal.reason, by: letter.withdrawal.by, at: letter.withdrawal.at }, notices: copiesResponse(letter.notices) }
      : {}),
    ...(withHistory ? { history: letter.history.map(eventResponse), historyNext: letter.historyNext ?? null } : {}),
  };
}

/** An archived letter as a reader sees it: the content as approved, the approval, the PDF and the deliveries. */
export function readerLetterResponse(letter: Letter): z.infer<typeof ArchivedLetterView> {
  const full = letterResponse(letter);
  const { createdAt: _ca, createdBy: _cb, addressDifferences: _ad, addressOverride: _ao, council: _c, history: _h, returnComment: _r, ...archived } = full;
  return archived;
}

/** A letter as one row of a search's results. */
export function letterSummaryResponse(letter: Letter): LetterSummaryView {
  return {
    id: letter.id,
    status: letter.status,
    version: letter.version,
    // A part-finished draft may have neither yet.
    ...(letter.facts.letterDate ? { letterDate: letter.facts.letterDate } : {}),
    authority: letter.facts.authority.name,
    ...(letter.facts.inspector ? { inspector: letter.facts.inspector.name } : {}),
    findings: letter.findings.length,
    updatedAt: letter.updatedAt,
    deliveryProblem: hasDeliveryProblem(letter),
    supersedes: letter.supersedes ?? null,
    supersededBy: letter.supersededBy ?? null,
  };
}
