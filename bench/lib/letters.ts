import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import type { Finding, LetterContent } from '../../lambdas/core/letter';
import { LetterInput } from '../../lambdas/core/letter-schema';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/durham-2011-03-09.json', import.meta.url));

export type Content = LetterContent & { findings: Finding[] };

export interface BenchLetter {
  name: string;
  /** The letter as the API takes it: what the end-to-end run posts. */
  input: Record<string, unknown>;
  content: Content;
  html: string;
  metadata: ReturnType<typeof letterPdfMetadata>;
}

/** The example letter as the API would take it. */
export function exampleInput(): Record<string, any> {
  return JSON.parse(readFileSync(FIXTURE, 'utf8'));
}

const CATEGORIES = ['strength', 'meetsRequirements', 'areaForDevelopment'] as const;

/**
 * The example letter grown to 60 findings, 20 in each category, by cycling its own findings:
 * real sentence lengths, several pages, well inside the schema's limits.
 */
export function longInput(count = 60): Record<string, any> {
  const input = exampleInput();
  const source = input.findings as { category: string; text: string }[];
  const findings: { category: string; text: string }[] = [];
  for (let i = 0; i < count; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    const same = source.filter((f) => f.category === category);
    const base = same[Math.floor(i / CATEGORIES.length) % same.length];
    findings.push({ category, text: `${base.text} (${i + 1})` });
  }
  return { ...input, findings };
}

/** The example letter as the template takes it, findings numbered as the repository would. */
export function exampleContent(): Content {
  return contentOf(exampleInput());
}

function contentOf(input: Record<string, unknown>): Content {
  const parsed = LetterInput.parse(input);
  return { ...parsed, findings: parsed.findings.map((f, i) => ({ id: `f${String(i + 1).padStart(4, '0')}`, ...f })) };
}

export function benchLetters(template = new NunjucksLetterTemplate(TEMPLATES_DIR)): BenchLetter[] {
  return [
    ['example (14 findings)', exampleInput()],
    ['60 findings', longInput(60)],
  ].map(([name, input]) => {
    const content = contentOf(input as Record<string, unknown>);
    return { name: name as string, input: input as Record<string, unknown>, content, html: template.render(content), metadata: letterPdfMetadata(content) };
  });
}
