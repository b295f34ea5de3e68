import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import type { LetterContent } from '../../lambdas/core/letter';
import { LetterInput } from '../../lambdas/core/letter-schema';
import { estimatePages } from '../../lambdas/core/page-estimate';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
const example = () => JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url)), 'utf8'));
const CATEGORIES = ['strength', 'meetsRequirements', 'areaForDevelopment'];

function letter(edit: (l: any) => void): LetterContent {
  const l = example();
  edit(l);
  const parsed = LetterInput.parse(l);
  return { ...parsed, findings: parsed.findings.map((f, i) => ({ id: `f${i + 1}`, ...f })) };
}

const findings = (count: number, text: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => ({ category: CATEGORIES[i % 3], text: text(i) }));
const thirtyLines = Array.from({ length: 30 }, (_, j) => (j % 2 ? '' : `Line ${j + 1}`)).join('\n');

describe('the page estimate against the printed letter', () => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  const renderer = new ChromiumPdfRenderer({ timeoutMs: 60_000 });
  afterAll(() => renderer.close());

  const printedPages = async (content: LetterContent) => (await renderer.render(template.render(content), letterPdfMetadata(content))).pages;

  it('counts the pages of letters made of short lines exactly, up to the limit and past it', async () => {
    for (const count of [5, 19, 20]) {
      const content = letter((l) => (l.findings = findings(count, () => thirtyLines)));
      expect({ count, estimate: estimatePages(content) }).toEqual({ count, estimate: await printedPages(content) });
    }
  });

  it('comes within a page for letters of prose', async () => {
    const prose = example().findings.map((f: { text: string }) => f.text).join(' ');
    const letters = [
      letter(() => {}),
      letter((l) => (l.findings = findings(60, (i) => `${l.findings[i % l.findings.length].text} (${i + 1})`))),
      letter((l) => (l.findings = findings(18, () => prose.slice(0, 3000)))),
      letter((l) => (l.summary = prose.slice(0, 2000))),
    ];
    for (const content of letters) {
      const printed = await printedPages(content);
      expect(Math.abs(estimatePages(content) - printed)).toBeLessThanOrEqual(1);
    }
  });
});
