import type { z } from 'zod';
import type { FieldProblem } from '../../../core/errors';

/** A form as posted: one string per field name; the first value wins when a name repeats. */
export type FormValues = Record<string, string>;

/**
 * A form as the service reads it. Browsers send every line break in a textarea as CR LF (HTML's
 * form encoding); the letter's text has LF only, so the break is normalised here, at the edge.
 */
export function formValues(params: URLSearchParams): FormValues {
  const values: FormValues = {};
  for (const [name, value] of params) if (!(name in values)) values[name] = normaliseLineBreaks(value);
  return values;
}

/** CR LF and a lone CR become LF: one kind of line break, whatever sent the text. */
export const normaliseLineBreaks = (text: string) => text.replace(/\r\n?/g, '\n');

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

export const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export type FieldKind = 'text' | 'email' | 'tel' | 'textarea' | 'lines' | 'date' | 'month' | 'yesNo';

export interface FieldDef {
  /** The form field's id and name: the schema path joined with hyphens. */
  id: string;
  kind: FieldKind;
  label: string;
  /** How an error message names the field: "Enter the director's email address". */
  noun: string;
  hint?: string;
  classes?: string;
  autocomplete?: string;
  maxlength?: number;
  /** For a date compared with another: what to say when the comparison fails. */
  dateRule?: string;
}

export interface SectionDef {
  id: string;
  title: string;
  hint?: string;
  fields: FieldDef[];
}

export const field = (id: string, kind: FieldKind, label: string, noun: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  id,
  kind,
  label,
  noun,
  ...extra,
});

/** Where an error summary link for a field goes: a date's first box, a radio group's first radio. */
export function fieldHref(def: Pick<FieldDef, 'id' | 'kind'>): string {
  if (def.kind === 'date') return `#${def.id}-day`;
  if (def.kind === 'month') return `#${def.id}-month`;
  return `#${def.id}`;
}

// ---------------------------------------------------------------------------------------------
// Zod issues to GOV.UK messages.

type Issue = z.core.$ZodIssue;

/** How the schema words a failed comparison between two dates. */
const DATE_COMPARISON = /must be (on or after|before)/;

export function idOfPath(path: readonly PropertyKey[]): { id: string; index?: number } {
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
      if (def.dateRule && DATE_COMPARISON.test(issue.message)) return def.dateRule;
      if (/one line/.test(issue.message)) return `${capital(noun)} must be on one line`;
      if (/control|bidirectional/.test(issue.message)) {
        return `${capital(noun)} contains a character that cannot be printed, such as a tab or an invisible formatting mark: type it again rather than pasting it`;
      }
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
    const rule = def.dateRule && DATE_COMPARISON.test(problem.message) ? def.dateRule : undefined;
    errors.add(def.id, rule ?? `${capital(def.noun)} ${problem.message}`, fieldHref(def));
  }
}

/** A positive whole number from a hidden field: the version a person read. */
export function versionOf(values: FormValues): number | undefined {
  const v = values.version ?? '';
  return /^\d{1,9}$/.test(v) && Number(v) > 0 ? Number(v) : undefined;
}
