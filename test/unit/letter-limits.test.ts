import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { FindingInput, LetterInput, LIMITS } from '../../lambdas/core/letter-schema';
import { estimatePages } from '../../lambdas/core/page-estimate';

const example = () => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'durham-2011-03-09.json'), 'utf8'));
const finding = (text: string) => FindingInput.safeParse({ category: 'strength', text });
const lines = (n: number) => Array.from({ length: n }, (_, i) => `Line ${i + 1}`).join('\n');

describe('the limits of a finding', () => {
  it('takes 30 lines, and paragraphs one blank line apart', () => {
    expect(finding(lines(30)).success).toBe(true);
    expect(finding('First paragraph.\n\nSecond paragraph.\n \nThird.').success).toBe(true);
  });

  it.each([
    ['31 lines', lines(31)],
    ['a letter and 2,998 line breaks', `a${'\n'.repeat(2998)}a`],
    ['two blank lines in a row', 'First.\n\n\nSecond.'],
    ['two blank lines of spaces', 'First.\n  \n\t\nSecond.'],
  ])('refuses %s, naming the text', (_, text) => {
    const result = finding(text);
    expect(result.success).toBe(false);
    expect([...new Set(result.error!.issues.map((i) => i.path.join('.')))]).toEqual(['text']);
  });

  it('names the finding at fault in a whole letter', () => {
    const letter = example();
    letter.findings[3].text = `a${'\n\n\n'.repeat(10)}a`;
    const result = LetterInput.safeParse(letter);
    expect([...new Set(result.error!.issues.map((i) => i.path.join('.')))]).toEqual(['findings.3.text']);
  });
});

describe('the page estimate', () => {
  const withFindings = (count: number, text: string) => ({
    ...example(),
    findings: Array.from({ length: count }, (_, i) => ({ category: ['strength', 'meetsRequirements', 'areaForDevelopment'][i % 3], text })),
  });

  it('puts the example letter on two pages', () => {
    expect(estimatePages(example())).toBe(2);
  });

  it('counts every line a finding breaks into', () => {
    const thirtyLines = lines(30);
    expect(estimatePages(withFindings(19, thirtyLines))).toBe(20);
    expect(estimatePages(withFindings(20, thirtyLines))).toBeGreaterThan(LIMITS.pages);
    expect(estimatePages(withFindings(100, thirtyLines))).toBeGreaterThan(100);
  });

  it('counts a summary of a thousand lines', () => {
    expect(estimatePages({ ...example(), summary: 'a\n'.repeat(999) + 'a' })).toBeGreaterThan(LIMITS.pages);
  });
});
