import type { z } from 'zod';
import type { FieldProblem } from '../../../core/errors';
import {
  dateRuleIssues,
  FINDING_CATEGORIES,
  FindingInput,
  LetterInput,
  LIMITS,
  type LetterFacts,
  ReturnInput,
  TEMPLATE_IDS,
} from '../../../core/letter-schema';

/** A form as posted: one string per field name; the first value wins when a name repeats. */
export type FormValues = Record<string, string>;

export function formValues(params: URLSearchParams): FormValues {
  const values: FormValues = {};
  for (const [name, value] of params) if (!(name in values)) values[name] = value;
  return values;
}

export interface ErrorItem {
  text: string;
  href: string;
}

/**
 * Errors the GOV.UK way: one message per field, shown by the field and listed in the summary
 * (in the order the fields appear) with a link to the field.
 */
export class FormErrors {
  readonly list: ErrorItem[] = [];
  readonly field: Record<string, { text: string }> = {};
  /** For a date, the boxes at fault, when not all of them are. */
  readonly parts: Record<string, string[]> = {};

  add(id: string, text: string, href = `#${id}`, parts?: string[]): void {
    if (this.field[id]) return;
    this.field[id] = { text };
    if (parts) this.parts[id] = parts;
    this.list.push({ text, href });
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  /** Puts the summary in page order. */
  sort(order: string[]): this {
    const rank = (href: string) => {
      const i = order.findIndex((id) => href === `#${id}` || href.startsWith(`#${id}-`));
      return i < 0 ? order.length : i;
    };
    this.list.sort((a, b) => rank(a.href) - rank(b.href));
    return this;
  }
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

type Kind = 'text' | 'email' | 'tel' | 'textarea' | 'lines' | 'date' | 'month' | 'yesNo';

export interface FieldDef {
  /** The form field's id and name: the schema path joined with hyphens. */
  id: string;
  kind: Kind;
  label: string;
  /** How an error message names the field: "Enter the director's email address". */
  noun: string;
  hint?: string;
  classes?: string;
  autocomplete?: string;
  maxlength?: number;
}

export interface SectionDef {
  id: string;
  title: string;
  hint?: string;
  fields: FieldDef[];
}

const f = (id: string, kind: Kind, label: string, noun: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  id,
  kind,
  label,
  noun,
  ...extra,
});

const FULL = 'govuk-!-width-two-thirds';

/** The letter's facts, in the order the form asks for them. */
export const LETTER_SECTIONS: SectionDef[] = [
  {
    id: 'inspection',
    title: 'The inspection',
    fields: [
      f('authority-name', 'text', 'Council', 'the council', { hint: 'Its full name, for example Durham County Council', classes: FULL }),
      f('inspection-startDate', 'date', 'First day of the inspection', 'the first day of the inspection', { hint: 'For example, 8 2 2011' }),
      f('inspection-endDate', 'date', 'Last day of the inspection', 'the last day of the inspection', { hint: 'For example, 9 2 2011' }),
      // The two questions after this one are asked plainly rather than revealed by it: govuk-frontend's
      // conditional reveal marks radios aria-expanded, which ARIA does not allow on a radio.
      f('previousInspection', 'yesNo', 'Was the council inspected like this before?', 'whether the council was inspected like this before'),
      f('inspection-previousInspection-month', 'month', 'Month of the previous inspection', 'the month of the previous inspection', {
        hint: 'Only if it was inspected before. For example, 3 2010',
      }),
      f(
        'inspection-previousInspection-developmentAreasAddressed',
        'yesNo',
        'Were the areas for development it found addressed?',
        'whether the areas for development it found were addressed',
        { hint: 'Only if it was inspected before' },
      ),
      f('letterDate', 'date', 'Date of the letter', 'the date of the letter', { hint: 'For example, 9 3 2011' }),
      f('summary', 'textarea', 'Summary', 'the summary', {
        hint: 'One or two sentences on the outcome, for the covering email',
        maxlength: LIMITS.summary,
      }),
    ],
  },
  {
    id: 'inspector',
    title: 'Lead inspector',
    hint: 'Signs the letter',
    fields: [
      f('inspector-name', 'text', 'Name', 'the inspector’s name', { classes: FULL, autocomplete: 'name' }),
      f('inspector-jobTitle', 'text', 'Job title', 'the inspector’s job title', { classes: FULL }),
    ],
  },
  {
    id: 'sender',
    title: 'Contact details printed on the letter',
    fields: [
      f('sender-directPhone', 'tel', 'Telephone', 'the contact telephone number', { classes: 'govuk-input--width-20', autocomplete: 'tel' }),
      f('sender-directEmail', 'email', 'Email address', 'the contact email address', { classes: FULL }),
    ],
  },
  {
    id: 'director',
    title: 'Director of children’s services',
    hint: 'The letter is addressed to them',
    fields: [
      f('recipients-director-honorific', 'text', 'Title', 'the director’s title', { hint: 'For example, Mr, Ms or Dr', classes: 'govuk-input--width-5' }),
      f('recipients-director-name', 'text', 'Full name', 'the director’s full name', { classes: FULL }),
      f('recipients-director-jobTitle', 'text', 'Job title', 'the director’s job title', { classes: FULL }),
      f('recipients-director-organisation', 'text', 'Organisation', 'the director’s organisation', { classes: FULL }),
      f('recipients-director-address', 'lines', 'Postal address', 'the director’s postal address', {
        hint: `One line of the address on each line, at most ${LIMITS.addressLines} lines`,
      }),
      f('recipients-director-email', 'email', 'Email address', 'the director’s email address', { classes: FULL }),
    ],
  },
  {
    id: 'chiefExecutive',
    title: 'Chief executive',
    hint: 'Receives a copy',
    fields: [
      f('recipients-chiefExecutive-name', 'text', 'Full name', 'the chief executive’s full name', { classes: FULL }),
      f('recipients-chiefExecutive-jobTitle', 'text', 'Job title', 'the chief executive’s job title', { classes: FULL }),
      f('recipients-chiefExecutive-organisation', 'text', 'Organisation', 'the chief executive’s organisation', { classes: FULL }),
      f('recipients-chiefExecutive-email', 'email', 'Email address', 'the chief executive’s email address', { classes: FULL }),
    ],
  },
  {
    id: 'dfe',
    title: 'Department for Education',
    hint: 'Receives a copy',
    fields: [
      f('recipients-dfe-name', 'text', 'Full name', 'the full name of the contact at the Department for Education', { classes: FULL }),
      f('recipients-dfe-organisation', 'text', 'Organisation', 'the Department for Education’s organisation name', { classes: FULL }),
      f('recipients-dfe-email', 'email', 'Email address', 'the email address at the Department for Education', { classes: FULL }),
    ],
  },
];

export const LETTER_FIELDS: FieldDef[] = LETTER_SECTIONS.flatMap((s) => s.fields);
const FIELD_BY_ID = new Map(LETTER_FIELDS.map((d) => [d.id, d]));

/** Where an error summary link for a field goes: a date's first box, a radio group's first radio. */
export function fieldHref(def: Pick<FieldDef, 'id' | 'kind'>): string {
  if (def.kind === 'date') return `#${def.id}-day`;
  if (def.kind === 'month') return `#${def.id}-month`;
  return `#${def.id}`;
}

// ---------------------------------------------------------------------------------------------
// Dates: GOV.UK date inputs, three boxes each (two for a month), read back into ISO dates.

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthNumber(raw: string): number | undefined {
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const i = MONTH_NAMES.indexOf(raw.slice(0, 3).toLowerCase());
  const full = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'][i];
  return i >= 0 && full?.startsWith(raw.toLowerCase()) ? i + 1 : undefined;
}

export interface DateReading {
  iso?: string;
  error?: string;
  /** The boxes to mark red: only the missing ones when some are missing. */
  parts?: ('day' | 'month' | 'year')[];
}

export function readDate(values: FormValues, def: Pick<FieldDef, 'id' | 'kind' | 'noun'>): DateReading {
  const withDay = def.kind === 'date';
  const names = (withDay ? ['day', 'month', 'year'] : ['month', 'year']) as ('day' | 'month' | 'year')[];
  const raw = Object.fromEntries(names.map((n) => [n, (values[`${def.id}-${n}`] ?? '').trim()])) as Record<string, string>;
  const missing = names.filter((n) => raw[n] === '');
  if (missing.length === names.length) return { error: `Enter ${def.noun}`, parts: names };
  if (missing.length) {
    return { error: `${capital(def.noun)} must include a ${missing.join(' and a ')}`, parts: missing };
  }
  const day = withDay ? (/^\d{1,2}$/.test(raw.day!) ? Number(raw.day) : NaN) : 1;
  const month = monthNumber(raw.month!) ?? NaN;
  if (!/^\d{4}$/.test(raw.year!)) {
    return /^\d+$/.test(raw.year!)
      ? { error: `The year of ${def.noun} must include 4 numbers`, parts: ['year'] }
      : { error: `${capital(def.noun)} must be a real date`, parts: names };
  }
  const year = Number(raw.year);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(date.getTime()) || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { error: `${capital(def.noun)} must be a real date`, parts: names };
  }
  const iso = date.toISOString().slice(0, withDay ? 10 : 7);
  return { iso };
}

function dateValues(id: string, iso: string | undefined, withDay: boolean): FormValues {
  const m = iso ? /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(iso) : null;
  if (!m) return {};
  return {
    ...(withDay ? { [`${id}-day`]: String(Number(m[3])) } : {}),
    [`${id}-month`]: String(Number(m[2])),
    [`${id}-year`]: m[1]!,
  };
}

// ---------------------------------------------------------------------------------------------
// Zod issues to GOV.UK messages.

type Issue = z.core.$ZodIssue;

const DATE_RULES: Record<string, string> = {
  'inspection-endDate': 'The last day of the inspection must be the same as or after the first day',
  letterDate: 'The date of the letter must be the same as or after the last day of the inspection',
  'inspection-previousInspection-month': 'The previous inspection must be before the month of this inspection',
};

function idOfPath(path: readonly PropertyKey[]): { id: string; index?: number } {
  const index = path.find((p): p is number => typeof p === 'number');
  return { id: path.filter((p) => typeof p === 'string').join('-'), index };
}

function messageFor(def: FieldDef, issue: Issue, value: string | undefined, index?: number): string {
  const noun = index !== undefined ? `line ${index + 1} of ${def.noun}` : def.noun;
  if (value !== undefined && value.trim() === '' && def.kind !== 'yesNo') return `Enter ${def.noun}`;
  switch (issue.code) {
    case 'invalid_type':
    case 'invalid_value':
      return def.kind === 'yesNo' ? `Select ${def.noun}` : `Enter ${noun}`;
    case 'too_small':
      return `Enter ${noun}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `${capital(noun)} must have ${issue.maximum} lines or fewer`
        : `${capital(noun)} must be ${Number(issue.maximum).toLocaleString('en-GB')} characters or fewer`;
    case 'invalid_format':
      if (issue.format === 'email') return `Enter ${noun} in the correct format, like name@example.com`;
      return `${capital(noun)} ${issue.message}`;
    case 'custom':
      if (DATE_RULES[def.id] && /must be (on or after|before)/.test(issue.message)) return DATE_RULES[def.id]!;
      if (/control|bidirectional/.test(issue.message)) return `${capital(noun)} must not contain control characters`;
      return `${capital(noun)} ${issue.message}`;
    default:
      return `${capital(noun)} ${issue.message}`;
  }
}

/** Finds the form field a schema path belongs to: the field itself, or the first field inside it. */
function fieldFor(path: string, defs: readonly FieldDef[]): FieldDef | undefined {
  const id = path === 'inspection-previousInspection' ? 'previousInspection' : path;
  return defs.find((d) => d.id === id) ?? defs.find((d) => d.id.startsWith(`${id}-`));
}

export function addIssues(errors: FormErrors, issues: readonly Issue[], values: FormValues, defs: readonly FieldDef[]): void {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') continue; // the form builds its own object: never happens
    const { id, index } = idOfPath(issue.path);
    const def = fieldFor(id, defs);
    if (!def) {
      errors.add('form', capital(issue.message));
      continue;
    }
    errors.add(def.id, messageFor(def, issue, index === undefined ? values[def.id] : undefined, index), fieldHref(def));
  }
}

/** Field problems a use case raised (`letterDate`, `findings`, `text`) shown against the form's fields. */
export function addProblems(errors: FormErrors, problems: readonly FieldProblem[], defs: readonly FieldDef[], fallbackId: string): void {
  for (const problem of problems) {
    const path = problem.field.replace(/\[\d+\]/g, '').split('.').join('-');
    const def = fieldFor(path, defs);
    if (!def) {
      errors.add(fallbackId, `${capital(path || 'The letter')} ${problem.message}`);
      continue;
    }
    const rule = DATE_RULES[def.id];
    errors.add(def.id, rule && /must be (on or after|before)/.test(problem.message) ? rule : `${capital(def.noun)} ${problem.message}`, fieldHref(def));
  }
}

// ---------------------------------------------------------------------------------------------
// The letter's facts.

export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

/** The form's fields filled from a letter, for editing it. */
export function formFromFacts(facts: LetterFacts): FormValues {
  const prev = facts.inspection.previousInspection;
  return {
    templateId: facts.templateId,
    'authority-name': facts.authority.name,
    ...dateValues('inspection-startDate', facts.inspection.startDate, true),
    ...dateValues('inspection-endDate', facts.inspection.endDate, true),
    previousInspection: prev ? 'yes' : 'no',
    ...dateValues('inspection-previousInspection-month', prev?.month, false),
    ...(prev ? { 'inspection-previousInspection-developmentAreasAddressed': prev.developmentAreasAddressed ? 'yes' : 'no' } : {}),
    ...dateValues('letterDate', facts.letterDate, true),
    summary: facts.summary,
    'inspector-name': facts.inspector.name,
    'inspector-jobTitle': facts.inspector.jobTitle,
    'sender-directPhone': facts.sender.directPhone,
    'sender-directEmail': facts.sender.directEmail,
    'recipients-director-honorific': facts.recipients.director.honorific,
    'recipients-director-name': facts.recipients.director.name,
    'recipients-director-jobTitle': facts.recipients.director.jobTitle,
    'recipients-director-organisation': facts.recipients.director.organisation,
    'recipients-director-address': facts.recipients.director.address.join('\n'),
    'recipients-director-email': facts.recipients.director.email,
    'recipients-chiefExecutive-name': facts.recipients.chiefExecutive.name,
    'recipients-chiefExecutive-jobTitle': facts.recipients.chiefExecutive.jobTitle,
    'recipients-chiefExecutive-organisation': facts.recipients.chiefExecutive.organisation,
    'recipients-chiefExecutive-email': facts.recipients.chiefExecutive.email,
    'recipients-dfe-name': facts.recipients.dfe.name,
    'recipients-dfe-organisation': facts.recipients.dfe.organisation,
    'recipients-dfe-email': facts.recipients.dfe.email,
  };
}

/** The dates each rule between dates compares: a rule is only judged when both could be read. */
const DATE_RULE_INPUTS: Record<string, string[]> = {
  'inspection-endDate': ['inspection-startDate', 'inspection-endDate'],
  letterDate: ['letterDate', 'inspection-endDate'],
  'inspection-previousInspection-month': ['inspection-previousInspection-month', 'inspection-startDate'],
};

/**
 * Reads the letter form into the letter's facts, checked by the same schema as the API's
 * `POST /api/letters` (so the same rules, limits and date checks apply), or into errors.
 */
export function parseLetterForm(values: FormValues): { facts?: LetterFacts; errors: FormErrors } {
  const errors = new FormErrors();
  const candidate: Record<string, unknown> = {
    templateId: TEMPLATE_IDS.includes(values.templateId as never) ? values.templateId : TEMPLATE_IDS[0],
  };
  const previous = values.previousInspection;
  for (const def of LETTER_FIELDS) {
    const path = def.id.split('-');
    const raw = values[def.id] ?? '';
    if (def.id === 'previousInspection') {
      if (previous !== 'yes' && previous !== 'no') errors.add(def.id, `Select ${def.noun}`, fieldHref(def));
      continue;
    }
    if (def.id.startsWith('inspection-previousInspection-') && previous !== 'yes') continue;
    if (def.kind === 'date' || def.kind === 'month') {
      const reading = readDate(values, def);
      if (reading.error) errors.add(def.id, reading.error, `#${def.id}-${reading.parts?.[0] ?? 'day'}`, reading.parts);
      setPath(candidate, path, reading.iso ?? '');
    } else if (def.kind === 'yesNo') {
      if (raw !== 'yes' && raw !== 'no') errors.add(def.id, `Select ${def.noun}`, fieldHref(def));
      setPath(candidate, path, raw === 'yes');
    } else if (def.kind === 'lines') {
      setPath(candidate, path, raw.split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
    } else {
      setPath(candidate, path, raw.trim());
    }
  }
  if (previous !== 'yes') delete (candidate.inspection as Record<string, unknown>).previousInspection;

  const parsed = LetterInput.safeParse(candidate);
  if (!parsed.success) {
    // Rules between dates are judged below, only where both dates could be read.
    const own = parsed.error.issues.filter((i) => !(i.code === 'custom' && DATE_RULE_INPUTS[idOfPath(i.path).id]));
    addIssues(errors, own, values, LETTER_FIELDS);
  }
  // The schema compares the dates only once everything else is valid; the form says all it can
  // at once, for every pair of dates that could be read.
  const facts = candidate as { letterDate?: string; inspection?: { startDate: string; endDate: string; previousInspection?: { month: string } } };
  for (const issue of dateRuleIssues(facts)) {
    const id = issue.path.join('-');
    if ((DATE_RULE_INPUTS[id] ?? [id]).some((input) => errors.field[input])) continue;
    const def = FIELD_BY_ID.get(id)!;
    errors.add(def.id, DATE_RULES[def.id] ?? `${capital(def.noun)} ${issue.message}`, fieldHref(def));
  }
  errors.sort(LETTER_FIELDS.map((d) => d.id));
  if (errors.any || !parsed.success) return { errors };
  const { findings: _none, ...letterFacts } = parsed.data;
  return { facts: letterFacts, errors };
}

/** The fields of `next` that differ from `current`: what an edit changes, and nothing else. */
export function changedFacts(current: LetterFacts, next: LetterFacts): Partial<LetterFacts> {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof LetterFacts)[]) {
    if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) patch[key] = next[key];
  }
  return patch as Partial<LetterFacts>;
}

// ---------------------------------------------------------------------------------------------
// Findings, return comments and sign-in.

export const CATEGORY_LABELS: Record<(typeof FINDING_CATEGORIES)[number], { one: string; heading: string; add: string }> = {
  strength: { one: 'Strength', heading: 'Strengths', add: 'Add a strength' },
  meetsRequirements: {
    one: 'Meets the requirements of statutory guidance',
    heading: 'Areas that meet the requirements of statutory guidance',
    add: 'Add an area that meets the requirements',
  },
  areaForDevelopment: { one: 'Area for development', heading: 'Areas for development', add: 'Add an area for development' },
};

export const FINDING_FIELDS: FieldDef[] = [
  f('category', 'yesNo', 'What kind of finding is it?', 'what kind of finding it is'),
  f('text', 'textarea', 'Finding', 'the finding', { maxlength: LIMITS.findingText }),
];

export function parseFindingForm(values: FormValues): { finding?: FindingInput; errors: FormErrors } {
  const errors = new FormErrors();
  const parsed = FindingInput.safeParse({ category: values.category ?? '', text: (values.text ?? '').trim() });
  if (!parsed.success) addIssues(errors, parsed.error.issues, values, FINDING_FIELDS);
  errors.sort(['category', 'text']);
  return parsed.success ? { finding: parsed.data, errors } : { errors };
}

export const RETURN_FIELDS: FieldDef[] = [
  f('comment', 'textarea', 'What needs to change?', 'what needs to change', { maxlength: LIMITS.comment }),
];

export function parseReturnForm(values: FormValues): { comment?: string; errors: FormErrors } {
  const errors = new FormErrors();
  const parsed = ReturnInput.safeParse({ comment: (values.comment ?? '').trim() });
  if (!parsed.success) addIssues(errors, parsed.error.issues, values, RETURN_FIELDS);
  return parsed.success ? { comment: parsed.data.comment, errors } : { errors };
}

/** A positive whole number from a hidden field: the version a person read. */
export function versionOf(values: FormValues): number | undefined {
  const v = values.version ?? '';
  return /^\d{1,9}$/.test(v) && Number(v) > 0 ? Number(v) : undefined;
}
