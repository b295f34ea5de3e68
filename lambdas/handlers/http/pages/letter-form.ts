import { dateRuleIssues, type DraftFacts, LetterBody, type LetterPatch, LIMITS, TEMPLATE_IDS } from '../../../core/letter-schema';
import { dateValues, readDate } from './date-fields';
import { addIssues, capital, type FieldDef, field as f, fieldHref, FormErrors, type FormValues, idOfPath, type SectionDef } from './form-fields';

const FULL = 'govuk-!-width-two-thirds';

/**
 * The letter's facts, in the order the form asks for them. Not its recipients: the council
 * directory and configuration give those (a manager's different address goes through the API).
 */
export const LETTER_SECTIONS: SectionDef[] = [
  {
    id: 'inspection',
    title: 'The inspection',
    fields: [
      f('authority-name', 'text', 'Council', 'the council', { hint: 'Its full name, for example Durham County Council', classes: FULL }),
      f('inspection-startDate', 'date', 'First day of the inspection', 'the first day of the inspection', { hint: 'For example, 8 2 2011' }),
      f('inspection-endDate', 'date', 'Last day of the inspection', 'the last day of the inspection', {
        hint: 'For example, 9 2 2011',
        dateRule: 'The last day of the inspection must be the same as or after the first day',
      }),
      // The two questions after this one are asked plainly rather than revealed by it: govuk-frontend's
      // conditional reveal marks radios aria-expanded, which ARIA does not allow on a radio.
      f('previousInspection', 'yesNo', 'Was the council inspected like this before?', 'whether the council was inspected like this before'),
      f('inspection-previousInspection-month', 'month', 'Month of the previous inspection', 'the month of the previous inspection', {
        hint: 'Only if it was inspected before. For example, 3 2010',
        dateRule: 'The previous inspection must be before the month of this inspection',
      }),
      f(
        'inspection-previousInspection-developmentAreasAddressed',
        'yesNo',
        'Were the areas for development it found addressed?',
        'whether the areas for development it found were addressed',
        { hint: 'Only if it was inspected before' },
      ),
      f('letterDate', 'date', 'Date of the letter', 'the date of the letter', {
        hint: 'For example, 9 3 2011',
        dateRule: 'The date of the letter must be the same as or after the last day of the inspection',
      }),
      f('summary', 'textarea', 'Summary', 'the summary', {
        hint: 'The outcome in a few sentences. It is printed in the letter after its introduction; leave a blank line between paragraphs.',
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
];

export const LETTER_FIELDS: FieldDef[] = LETTER_SECTIONS.flatMap((s) => s.fields);
const FIELD_BY_ID = new Map(LETTER_FIELDS.map((d) => [d.id, d]));

export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

/** The form's fields filled from a letter, for editing it: what it has so far. */
export function formFromFacts(facts: DraftFacts): FormValues {
  const inspection = facts.inspection;
  const prev = inspection?.previousInspection;
  const values: Record<string, string | undefined> = {
    templateId: facts.templateId,
    'authority-name': facts.authority.name,
    ...dateValues('inspection-startDate', inspection?.startDate, true),
    ...dateValues('inspection-endDate', inspection?.endDate, true),
    previousInspection: inspection ? (prev ? 'yes' : 'no') : undefined,
    ...dateValues('inspection-previousInspection-month', prev?.month, false),
    'inspection-previousInspection-developmentAreasAddressed': prev ? (prev.developmentAreasAddressed ? 'yes' : 'no') : undefined,
    ...dateValues('letterDate', facts.letterDate, true),
    summary: facts.summary,
    'inspector-name': facts.inspector?.name,
    'inspector-jobTitle': facts.inspector?.jobTitle,
    'sender-directPhone': facts.sender?.directPhone,
    'sender-directEmail': facts.sender?.directEmail,
  };
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The top-level fact each field belongs to: a fact left wholly blank is saved as not yet known. */
const factOf = (id: string) => (id === 'previousInspection' ? 'inspection' : id.split('-')[0]!);

function isBlank(values: FormValues, def: FieldDef): boolean {
  if (def.kind === 'date' || def.kind === 'month') {
    return (def.kind === 'date' ? ['day', 'month', 'year'] : ['month', 'year']).every((p) => !(values[`${def.id}-${p}`] ?? '').trim());
  }
  return !(values[def.id] ?? '').trim();
}

/** Facts with nothing typed in any of their fields: left out of a part-finished draft. */
function blankFacts(values: FormValues): Set<string> {
  const facts = new Set(LETTER_FIELDS.map((d) => factOf(d.id)));
  for (const def of LETTER_FIELDS) if (!isBlank(values, def)) facts.delete(factOf(def.id));
  facts.delete('authority'); // the council is needed from the start
  return facts;
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
export function parseLetterForm(values: FormValues): { facts?: Omit<LetterBody, 'findings'>; errors: FormErrors } {
  const errors = new FormErrors();
  const candidate: Record<string, unknown> = {
    templateId: TEMPLATE_IDS.includes(values.templateId as never) ? values.templateId : TEMPLATE_IDS[0],
  };
  const previous = values.previousInspection;
  const blank = blankFacts(values);
  for (const def of LETTER_FIELDS) {
    if (blank.has(factOf(def.id))) continue;
    const path = def.id.split('-');
    const raw = values[def.id] ?? '';
    if (def.id === 'previousInspection') {
      if (previous !== 'yes' && previous !== 'no') errors.add(def.id, `Select ${def.noun}`, fieldHref(def));
      continue;
    }
    if (def.id.startsWith('inspection-previousInspection-') && previous !== 'yes') {
      // "No" with a month typed: ask rather than silently drop it. (A chosen radio cannot be
      // cleared, so the answer about its areas for development is simply not used.)
      const given = def.kind === 'month' && ['month', 'year'].some((p) => (values[`${def.id}-${p}`] ?? '').trim());
      if (previous === 'no' && given) {
        errors.add(def.id, `You said the council was not inspected like this before: remove ${def.noun}, or choose Yes`, fieldHref(def));
      }
      continue;
    }
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
  if (previous !== 'yes' && candidate.inspection) delete (candidate.inspection as Record<string, unknown>).previousInspection;

  const parsed = LetterBody.safeParse(candidate);
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
    errors.add(def.id, def.dateRule ?? `${capital(def.noun)} ${issue.message}`, fieldHref(def));
  }
  errors.sort(LETTER_FIELDS.map((d) => d.id));
  if (errors.any || !parsed.success) return { errors };
  const { findings: _none, ...letterFacts } = parsed.data;
  return { facts: letterFacts, errors };
}

/** The fields of `next` that differ from `current`: what an edit changes, and nothing else. */
export function changedFacts(current: DraftFacts, next: Omit<LetterBody, 'findings'>): LetterPatch {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof typeof next)[]) {
    if (next[key] !== undefined && JSON.stringify(current[key]) !== JSON.stringify(next[key])) patch[key] = next[key];
  }
  return patch as LetterPatch;
}
