import { FINDING_CATEGORIES, FindingInput, LIMITS } from '../../../core/letter-schema';
import { addIssues, type FieldDef, field as f, FormErrors, type FormValues } from './form-fields';

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
