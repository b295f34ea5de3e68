import { FINDING_CATEGORIES, FindingInput, LIMITS } from '../../../core/letter-schema';
import { type Finding, type Letter, orderedFindings } from '../../../core/letter';
import { splitPastedFindings } from './finding-paste';
import { addIssues, type FieldDef, field as f, FormErrors, type FormValues } from './form-fields';

export const CATEGORY_LABELS: Record<(typeof FINDING_CATEGORIES)[number], { one: string; many: string; heading: string; add: string; paste: string }> = {
  strength: { one: 'Strength', many: 'strengths', heading: 'Strengths', add: 'Add a strength', paste: 'Paste several strengths' },
  meetsRequirements: {
    one: 'Area that meets the requirements',
    many: 'areas that meet the requirements',
    heading: 'Areas that meet the requirements of statutory guidance',
    add: 'Add an area that meets the requirements',
    paste: 'Paste several areas that meet the requirements',
  },
  areaForDevelopment: {
    one: 'Area for development',
    many: 'areas for development',
    heading: 'Areas for development',
    add: 'Add an area for development',
    paste: 'Paste several areas for development',
  },
};

export const isCategory = (value: unknown): value is (typeof FINDING_CATEGORIES)[number] =>
  typeof value === 'string' && (FINDING_CATEGORIES as readonly string[]).includes(value);

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

/** The several findings of one category pasted into one box, each checked like a finding on its own. */
export function parsePastedFindings(values: FormValues): { findings?: FindingInput[]; errors: FormErrors } {
  const errors = new FormErrors();
  if (!isCategory(values.category)) {
    errors.add('category', 'Select what kind of findings they are', '#category');
    return { errors };
  }
  const category = values.category;
  const texts = splitPastedFindings(values.findings ?? '');
  if (texts.length === 0) errors.add('findings', `Paste the ${CATEGORY_LABELS[category].many}, one per paragraph or bullet`);
  if (texts.length > LIMITS.findings) errors.add('findings', `Paste at most ${LIMITS.findings} findings at once; this is ${texts.length}`);
  texts.forEach((text, i) => {
    const parsed = FindingInput.safeParse({ category, text });
    if (!parsed.success) {
      const probe = new FormErrors();
      addIssues(probe, parsed.error.issues, { text }, FINDING_FIELDS);
      const message = probe.list[0]?.text.replace(/^The finding/, '') ?? ' is not valid';
      errors.add(`findings-${i}`, `Finding ${i + 1}${message}`, '#findings');
    }
  });
  // The box shows every problem at once; the summary links each to it.
  if (errors.any && !errors.field.findings) errors.field.findings = { text: errors.list.map((e) => e.text).join('. ') };
  if (errors.any) return { errors };
  return { findings: texts.map((text) => ({ category, text })), errors };
}

/**
 * Where Move up or Move down puts a finding, as the API's `before`: the id it goes in front of
 * within its category, null for the end, undefined when it is already at that end.
 */
export function moveTarget(letter: Letter, finding: Finding, direction: string | undefined): string | null | undefined {
  const siblings = orderedFindings(letter.findings).filter((f) => f.category === finding.category);
  const at = siblings.findIndex((f) => f.id === finding.id);
  if (direction === 'up') return at > 0 ? siblings[at - 1]!.id : undefined;
  if (direction === 'down') {
    if (at < 0 || at === siblings.length - 1) return undefined;
    return siblings[at + 2]?.id ?? null;
  }
  return undefined;
}
