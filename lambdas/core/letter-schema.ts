import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { councilNameProblem, normaliseCouncilName } from './council-name';

extendZodWithOpenApi(z);

/** Limits a letter must respect; the template is designed for letters within them. */
export const LIMITS = {
  shortText: 200,
  summary: 2_000,
  findingText: 3_000,
  /** Lines in one finding, and blank lines in a row: a finding is a paragraph or a short list, never a page of air. */
  findingLines: 30,
  blankLinesInARow: 1,
  findings: 100,
  /**
   * All findings' text together, in UTF-8 bytes as DynamoDB counts them: the draft's findings and
   * the approval snapshot's copy stay well inside one 400 KB item, whatever the script.
   */
  findingsBytes: 100_000,
  addressLines: 6,
  comment: 2_000,
  /** Printed pages: far beyond any real letter, and what a letter padded with line breaks always reaches. */
  pages: 20,
  /** Why a manager's recipients differ from the council directory. */
  reason: 500,
  /** Request bodies, in bytes. */
  body: 128 * 1024,
} as const;

export const TEMPLATE_IDS = ['ucra-annual'] as const;
export const FINDING_CATEGORIES = ['strength', 'meetsRequirements', 'areaForDevelopment'] as const;
export const RECIPIENT_ROLES = ['director', 'chiefExecutive', 'dfe'] as const;

export type FindingCategory = (typeof FINDING_CATEGORIES)[number];
export type RecipientRole = (typeof RECIPIENT_ROLES)[number];

// C0/C1 controls (except tab and newline in long text) and bidi overrides have no place in a letter:
// they hide text, break headers and make the printed letter say something other than the data.
/** What no one-line value (a name, a title, an address line, a person signing in) may contain. */
export const FORBIDDEN_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// Half of a surrogate pair is no character at all: no font prints it and UTF-8 cannot carry it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// What the document says of these rules. Its pattern holds the ones JSON Schema can say: some
// character that is not whitespace, and none of the forbidden ones. Whitespace at either end is
// removed before the checks, so the server also takes an over-long value padded with spaces.
const TRIMMED = 'Leading and trailing whitespace is removed before the length is checked and the text is stored.';
const linePattern = `^(?=[\\s\\S]*\\S)[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$`;
const textPattern = `^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$`;

const line = (max: number = LIMITS.shortText) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\n'), 'must be on one line, without line breaks')
    .refine((s) => !FORBIDDEN_IN_LINE.test(s.replaceAll('\n', '')), 'must not contain control or bidirectional override characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode text')
    .openapi({
      pattern: linePattern,
      description: `One line of text, 1 to ${max} characters. ${TRIMMED} No line breaks, control characters, bidirectional overrides or unpaired surrogates.`,
    });

/** Characters as a person counts them: code points, not UTF-16 units. */
export const characters = (s: string) => [...s].length;

/** Long text: line breaks normalised (CR LF → LF, as forms send them) before anything is counted. */
/** A person's display name, as tokens carry it and records keep it. */
export const personName = line(100);

const text = (max: number) =>
  z
    .string()
    .overwrite((s) => s.replace(/\r\n?/g, '\n'))
    .trim()
    .min(1, 'must not be empty')
    .refine((s) => characters(s) <= max, `must be at most ${max} characters`)
    .refine((s) => !FORBIDDEN_IN_TEXT.test(s), 'must not contain control or bidirectional override characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode text')
    .openapi({
      maxLength: max,
      pattern: textPattern,
      description: `Text of 1 to ${max} characters (code points, counted once CR LF has become LF); tabs and line breaks are allowed. ${TRIMMED} No other control characters, bidirectional overrides or unpaired surrogates.`,
    });

const email = z
  .string()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be a valid email address'))
  .openapi({ format: 'email', example: 'david.williams@durham.example' });

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a real calendar date')
  .openapi({ format: 'date', example: '2011-03-09' });

const isoMonth = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM')
  .openapi({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', example: '2010-03' });

/** The lines of a text as it prints: CR LF, a lone CR and LF each end a line. */
export function linesOf(s: string): string[] {
  return s.split(/\r\n|\r|\n/);
}

function longestBlankRun(lines: string[]): number {
  let longest = 0;
  let run = 0;
  for (const l of lines) {
    run = l.trim() === '' ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

const findingText = text(LIMITS.findingText)
  .refine((s) => linesOf(s).length <= LIMITS.findingLines, `must be at most ${LIMITS.findingLines} lines`)
  .refine((s) => longestBlankRun(linesOf(s)) <= LIMITS.blankLinesInARow, 'must not have more than one blank line in a row');

export const FindingInput = z
  .strictObject({
    category: z.enum(FINDING_CATEGORIES),
    text: findingText,
  })
  .openapi('FindingInput', {
    description: `One finding. A letter holds at most ${LIMITS.findings} findings, and their texts together at most ${LIMITS.findingsBytes} bytes of UTF-8 (422 naming \`findings\` past that).`,
  });

/** Several findings added at once, in order. */
export const FindingList = z
  .array(FindingInput)
  .min(1, 'must have at least one finding')
  .max(LIMITS.findings, `must have at most ${LIMITS.findings} findings`)
  .openapi('FindingList');

/** One finding, or several: how the API documents the body of `POST …/findings`. */
export const FindingsInput = z.union([FindingInput, FindingList]).openapi('FindingsInput');

/** Where a finding moves: in front of another of its category, or (null) to the end of it. */
export const MoveInput = z
  .strictObject({ before: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a finding id').nullable() })
  .openapi('MoveInput');

export const FindingPatch = FindingInput.partial()
  .refine((f) => Object.keys(f).length > 0, 'must change at least one field')
  .openapi('FindingPatch', { description: 'The fields of a finding to change; at least one.', minProperties: 1 });

const Sender = z.strictObject({ directPhone: line(40), directEmail: email }).openapi('Sender', { description: 'How recipients reach the inspectorate about this letter.' });
/** A council's name, NFKC with its spacing collapsed; invisible characters and mixed alphabets refused. */
export const councilName = line()
  .superRefine((name, ctx) => {
    if (name.includes('\n')) return; // said once already, in words
    const problem = councilNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(normaliseCouncilName)
  .openapi({
    type: 'string',
    description:
      'A council in the council directory. Kept in Unicode NFKC with its spacing collapsed and matched ignoring case; invisible characters (zero-width spaces, soft hyphens, tag characters) and letters of mixed alphabets are refused.',
  });
const Authority = z.strictObject({ name: councilName }).openapi('Authority', { description: 'The council whose services were inspected: one in the council directory.' });
const PreviousInspection = z
  .strictObject({ month: isoMonth, developmentAreasAddressed: z.boolean() })
  .openapi('PreviousInspection', { description: 'The last inspection; its month is before the month of this one.' });
const Inspection = z
  .strictObject({
    startDate: isoDate,
    endDate: isoDate,
    previousInspection: PreviousInspection.optional(),
  })
  .openapi('Inspection', { description: 'When the inspection ran: endDate is on or after startDate.' });
export const Director = z
  .strictObject({
    honorific: line(20),
    name: line(),
    jobTitle: line(),
    organisation: line(),
    address: z.array(line()).min(1, 'must have at least one line').max(LIMITS.addressLines),
    email,
  })
  .openapi('Director', { description: "The director of children's services: the letter's addressee." });
export const ChiefExecutive = z
  .strictObject({ name: line(), jobTitle: line(), organisation: line(), email })
  .openapi('ChiefExecutive', { description: "The council's chief executive, sent a copy." });
export const Dfe = z
  .strictObject({ name: line(), organisation: line(), email })
  .openapi('Dfe', { description: 'The Department for Education, sent a copy.' });
const Recipients = z
  .strictObject({ director: Director, chiefExecutive: ChiefExecutive, dfe: Dfe })
  .openapi('Recipients', { description: 'The three statutory recipients; each is sent its own copy.' });
/**
 * Recipients as a body gives them: each may be left out (the council directory and the configured
 * DfE address fill it in) or repeated; a manager's that differ from the directory carry a reason.
 */
export const RecipientsInput = z
  .strictObject({
    director: Director.optional(),
    chiefExecutive: ChiefExecutive.optional(),
    dfe: Dfe.optional(),
    reason: text(LIMITS.reason).optional().openapi({ description: 'Why a manager sends the letter elsewhere than the council directory says; required then.' }),
  })
  .openapi('RecipientsInput', {
    description:
      "The recipients, each optional: left out, they come from the council directory (director, chief executive) and configuration (DfE). The DfE copy must be the configured one. An inspector's must match the directory; a manager's may differ, with a reason.",
  });
const Inspector = z.strictObject({ name: line(), jobTitle: line() }).openapi('Inspector', { description: 'Who signs the letter.' });

/** The letter's facts, everything but its findings. */
const LetterFactsShape = {
  templateId: z.enum(TEMPLATE_IDS),
  letterDate: isoDate,
  sender: Sender,
  authority: Authority,
  inspection: Inspection,
  recipients: Recipients,
  inspector: Inspector,
  summary: text(LIMITS.summary),
};

type FactsForRules = {
  letterDate?: string;
  inspection?: { startDate: string; endDate: string; previousInspection?: { month: string } };
};

/** Rules between fields: the dates of a letter must tell one consistent story. */
export function dateRuleIssues(facts: FactsForRules): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const i = facts.inspection;
  if (i && i.endDate < i.startDate) {
    issues.push({ path: ['inspection', 'endDate'], message: 'must be on or after inspection.startDate' });
  }
  if (i && facts.letterDate && facts.letterDate < i.endDate) {
    issues.push({ path: ['letterDate'], message: 'must be on or after the end of the inspection' });
  }
  const prev = i?.previousInspection;
  if (i && prev && prev.month >= i.startDate.slice(0, 7)) {
    issues.push({
      path: ['inspection', 'previousInspection', 'month'],
      message: 'must be before the month of this inspection',
    });
  }
  return issues;
}

function withDateRules<T extends z.ZodType<FactsForRules>>(schema: T) {
  return schema.superRefine((facts, ctx) => {
    for (const issue of dateRuleIssues(facts)) ctx.addIssue({ code: 'custom', ...issue });
  });
}

export const LetterFacts = z.strictObject(LetterFactsShape);
export { LetterFactsShape };

/** Said in the document where JSON Schema cannot say it. */
export const DATE_RULES =
  'The dates must agree: inspection.endDate on or after inspection.startDate, letterDate on or after inspection.endDate, and inspection.previousInspection.month before the month of inspection.startDate.';


const Findings = z
  .array(FindingInput)
  .max(LIMITS.findings, `must have at most ${LIMITS.findings} findings`)
  .refine(
    (findings) => findings.reduce((n, f) => n + Buffer.byteLength(f.text, 'utf8'), 0) <= LIMITS.findingsBytes,
    `must have at most ${LIMITS.findingsBytes} bytes of findings text in all (UTF-8)`,
  )
  .default([])
  .openapi({
    description: `The letter's findings in order, at most ${LIMITS.findings}, their texts together at most ${LIMITS.findingsBytes} bytes of UTF-8. May be left out or empty in a draft; a letter needs at least one finding to be submitted.`,
  });

/** A whole letter, recipients included: a letter file rendered without the stack, or the forms' fields. */
export const LetterInput = withDateRules(z.strictObject({ ...LetterFactsShape, findings: Findings }));

/** The facts of a draft: the council from the start, the rest as they become known. */
export const DraftFactsShape = {
  templateId: LetterFactsShape.templateId.default(TEMPLATE_IDS[0]),
  authority: Authority,
  letterDate: LetterFactsShape.letterDate.optional(),
  sender: Sender.optional(),
  inspection: Inspection.optional(),
  inspector: Inspector.optional(),
  summary: LetterFactsShape.summary.optional(),
};

/**
 * The body that creates a draft, which may be part-finished: every fact but the council may be
 * left out until the letter is submitted (submit names each one still missing). Whatever is
 * given is checked at once, whole. Recipients may be left out (the council directory and the
 * configured DfE address fill them in) or repeated.
 */
export const LetterBody = withDateRules(
  z.strictObject({ ...DraftFactsShape, recipients: RecipientsInput.optional(), findings: Findings }),
).openapi('LetterInput', {
  description: `A new draft, shaped like the example letter; its council must be in the council directory. Every fact but the council may be left out until the letter is submitted. ${DATE_RULES} Unknown fields are refused.`,
});

/** The facts of a draft: the council and its recipients always, the rest as they become known. */
export type DraftFacts = Pick<LetterFacts, 'templateId' | 'authority' | 'recipients'> &
  Partial<Omit<LetterFacts, 'templateId' | 'authority' | 'recipients'>>;

/** A letter's facts once all are known; built once, as zod compiles each schema on its first use. */
const CompleteFacts = z.object(LetterFactsShape);

/** The facts a draft still lacks (or holds wrongly) before it can be submitted, as dotted paths. */
export function missingFacts(facts: DraftFacts): string[] {
  const parsed = CompleteFacts.safeParse(facts);
  return parsed.success ? [] : [...new Set(parsed.error.issues.map((i) => i.path.join('.')))];
}

/** A PATCH replaces whole top-level fields; the merged letter is checked again by the use case. */
export const LetterPatch = z
  .strictObject({
    templateId: LetterFactsShape.templateId.optional(),
    letterDate: LetterFactsShape.letterDate.optional(),
    sender: Sender.optional(),
    authority: Authority.optional(),
    inspection: Inspection.optional(),
    recipients: RecipientsInput.optional(),
    inspector: Inspector.optional(),
    summary: LetterFactsShape.summary.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'must change at least one field')
  .openapi('LetterPatch', {
    minProperties: 1,
    description: `Top-level fields of a draft to replace, at least one; each replaces the whole field. The letter as changed must still follow the date rules: ${DATE_RULES}`,
  });

export const ReturnInput = z
  .strictObject({ comment: text(LIMITS.comment) })
  .openapi('ReturnInput', { description: 'Why the letter goes back to its authors; kept on the letter and in its history.' });
export const ApproveInput = z
  .strictObject({
    version: z.number().int().positive().optional().openapi({ description: 'The version the manager read and approves; or send it as If-Match.' }),
  })
  .openapi('ApproveInput', { description: 'The version approved, here or in If-Match (or both, when they agree).' });
export const WithdrawInput = z
  .strictObject({ reason: text(LIMITS.comment) })
  .openapi('WithdrawInput', { description: 'Why the letter is withdrawn; each recipient\'s notice says so.' });
export const AddressFixInput = z
  .strictObject({ email, reason: text(LIMITS.comment) })
  .openapi('AddressFixInput', { description: 'A new address for a copy that bounced, drew a complaint or failed, and why it changes.' });

export type LetterFacts = z.infer<typeof LetterFacts>;
export type LetterInput = z.infer<typeof LetterInput>;
export type LetterBody = z.infer<typeof LetterBody>;
export type LetterPatch = z.infer<typeof LetterPatch>;
export type FindingInput = z.infer<typeof FindingInput>;
export type RecipientsInput = z.infer<typeof RecipientsInput>;
export type Recipients = z.infer<typeof Recipients>;
export type DirectorRecipient = z.infer<typeof Director>;
export type ChiefExecutiveRecipient = z.infer<typeof ChiefExecutive>;
export type DfeRecipient = z.infer<typeof Dfe>;
export type FindingPatch = z.infer<typeof FindingPatch>;
