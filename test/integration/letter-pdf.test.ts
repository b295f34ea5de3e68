import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RENDERER_MODES } from '../support/browser';
import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { withDocumentProperties } from '../../lambdas/adapters/chromium/pdf-properties';
import { formatDateRange, formatLongDate, formatMonth, inspectionDatesPhrase, surnameOf } from '../../lambdas/core/letter-text';
import {
  letterPdfMetadata,
  NunjucksLetterTemplate,
} from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { LetterInput } from '../../lambdas/core/letter-schema';
import type { Finding, LetterContent } from '../../lambdas/core/letter';
import { readPdf, words } from '../support/pdf-text';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

type Content = LetterContent & { findings: Finding[] };

function exampleLetter(): Content {
  const input = LetterInput.parse(JSON.parse(readFileSync(fixture('durham-2011-03-09.json'), 'utf8')));
  return { ...input, findings: input.findings.map((f, i) => ({ id: `f${String(i + 1).padStart(4, '0')}`, ...f })) };
}

function withFindings(content: Content, findings: Omit<Finding, 'id'>[]): Content {
  return { ...content, findings: findings.map((f, i) => ({ id: `f${String(i + 1).padStart(4, '0')}`, ...f })) };
}

// The footer is not part of the letter's words; the wordmark stands in for the logo the text copy lacks.
function letterWords(pageText: string[]): string[] {
  const body = pageText.map((t) => t.replace(/Page \d+ of \d+/g, ' ')).join('\n');
  const all = words(body);
  return all[0] === 'Ofsted' ? all.slice(1) : all;
}

// The text copy marks list items with a Symbol-font bullet or a hyphen; the PDF draws its bullets.
const BULLET = /^[\u2022\uf0b7\u25cf\u2013-]$/;

describe.each(RENDERER_MODES)('the letter as a PDF ($mode)', ({ singleProcess }) => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  let renderer: ChromiumPdfRenderer;

  beforeAll(() => {
    renderer = new ChromiumPdfRenderer({ singleProcess, timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await renderer.close();
  });

  async function renderPdf(content: Content, options: { draft?: boolean } = {}) {
    const html = template.render(content, options);
    const rendered = await renderer.render(html, letterPdfMetadata(content));
    return { ...rendered, read: await readPdf(rendered.pdf) };
  }

  it('reproduces the example letter word for word, on two tagged A4 pages with its properties set', async () => {
    // Prepare
    const content = exampleLetter();
    const expected = words(readFileSync(fixture('durham-2011-03-09.txt'), 'utf8')).filter((w) => !BULLET.test(w));

    // Act
    const { pdf, pages, read } = await renderPdf(content);

    // Assess
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pages).toBe(2);
    expect(read.pages).toBe(2);
    const actual = letterWords(read.pageText);
    const from = (ws: string[]) => ws.slice(ws.indexOf('9'));
    expect(actual.slice(0, 3)).toEqual(['Freshford', 'House', 'Redcliffe']);
    // The body, from the date to the last copy recipient, word for word.
    expect(from(actual)).toEqual(from(expected));
    expect(actual).toEqual(expected);
    expect(read.pageText[0]).toMatch(/Page 1 of 2/);
    expect(read.pageText[1]).toMatch(/Page 2 of 2/);
    expect(read.text).not.toMatch(/DRAFT/);

    expect(read.tagged).toBe(true);
    expect(read.markInfo?.Marked).toBe(true);
    expect(read.hasStructTree).toBe(true);
    expect(read.language).toBe('en-GB');
    expect(read.info.Title).toBe(
      "Annual unannounced inspection of contact, referral and assessment arrangements within Durham County Council children's services",
    );
    expect(read.info.Author).toBe("Simon Rushall, Her Majesty's Inspector, Ofsted");
    expect(read.info.Subject).toContain('Durham County Council');
    expect(read.info.Keywords).toContain('Durham County Council');
    expect(read.info.Keywords).toContain('ucra-annual');
  });

  it('paginates a long letter without losing or reordering a finding', async () => {
    // Prepare
    const categories = ['strength', 'meetsRequirements', 'areaForDevelopment'] as const;
    const findings = Array.from({ length: 60 }, (_, i) => ({
      category: categories[Math.floor(i / 20)],
      text: `Finding marker-${String(i + 1).padStart(2, '0')}: practice in this area was examined through case files, supervision notes and interviews with staff, and the evidence is consistent across the teams visited.`,
    }));
    const content = withFindings(exampleLetter(), findings);

    // Act
    const { pages, read } = await renderPdf(content);

    // Assess
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(read.pages).toBe(pages);
    const markers = [...read.text.matchAll(/marker-(\d\d)/g)].map((m) => Number(m[1]));
    expect(markers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    read.pageText.forEach((text, i) => expect(text).toContain(`Page ${i + 1} of ${pages}`));
    const flat = words(read.text).join(' ');
    expect(flat).toContain('Strengths');
    expect(flat).toContain('The service meets the requirements of statutory guidance in the following areas');
    expect(flat).toContain('Areas for development');
    expect(flat).toMatch(/Yours sincerely Simon Rushall Her Majesty's Inspector/);
  });

  it('keeps accents, apostrophes and curly quotes intact in the extracted text', async () => {
    // Prepare
    const example = exampleLetter();
    const content: Content = {
      ...example,
      authority: { name: 'Ynys Môn County Council' },
      recipients: {
        ...example.recipients,
        director: {
          ...example.recipients.director,
          honorific: 'Ms',
          name: 'Siobhán O\'Connor-Łukasiewicz',
          organisation: 'Ynys Môn County Council',
        },
        chiefExecutive: { ...example.recipients.chiefExecutive, name: 'Zoë Brontë', organisation: 'Ynys Môn County Council' },
      },
      inspector: { name: 'Seán Ó Briain', jobTitle: "Her Majesty's Inspector" },
      findings: [
        { id: 'f1', category: 'strength', text: 'Staff said “we are listened to” and the manager’s ‘open door’ works — façade, naïve, Dvořák, Ørsted.' },
      ],
    };

    // Act
    const { read } = await renderPdf(content);

    // Assess
    const flat = words(read.text).join(' ');
    expect(flat).toContain("Ms Siobhán O'Connor-Łukasiewicz");
    expect(flat).toContain("Dear Ms O'Connor-Łukasiewicz");
    expect(flat).toContain('Zoë Brontë, Chief Executive, Ynys Môn County Council');
    expect(flat).toContain('Seán Ó Briain');
    expect(flat).toContain('Staff said “we are listened to” and the manager’s ‘open door’ works — façade, naïve, Dvořák, Ørsted.');
    expect(flat).toContain("within Ynys Môn County Council children's services");
    // Glyphs missing from the fonts would show as U+FFFD or be dropped.
    expect(read.text).not.toContain('\ufffd');
  });

  it('leaves out a section that has no findings, heading and all', async () => {
    // Prepare
    const content = withFindings(
      exampleLetter(),
      exampleLetter().findings.filter((f) => f.category !== 'strength'),
    );

    // Act
    const { read } = await renderPdf(content);
    const html = template.render(content);

    // Assess
    const lines = read.text.split('\n').map((l) => l.trim());
    expect(lines).not.toContain('Strengths');
    expect(lines).toContain('Areas for development');
    expect(html).not.toContain('findings-strength');
    expect(words(read.text).join(' ')).not.toContain('Social workers in the children with disability team');
  });

  it('marks every page DRAFT only when asked to', async () => {
    // Prepare
    const content = withFindings(exampleLetter(), [
      ...exampleLetter().findings,
      ...exampleLetter().findings.map((f) => ({ category: f.category, text: f.text })),
    ]);

    // Act
    const draft = await renderPdf(content, { draft: true });
    const final = await renderPdf(content, { draft: false });

    // Assess
    expect(draft.pages).toBeGreaterThanOrEqual(3);
    for (const text of draft.read.pageText) expect(text).toMatch(/\bDRAFT\b/);
    expect(final.read.text).not.toMatch(/DRAFT/i);
    expect(final.pages).toBe(draft.pages);
  });

  it('renders the same letter to the same bytes, dated with the letter', async () => {
    // Prepare
    const content = exampleLetter();

    // Act
    const first = await renderer.render(template.render(content), template.pdfMetadata(content));
    const second = await renderer.render(template.render(content), template.pdfMetadata(content));

    // Assess
    expect(second.pdf.equals(first.pdf)).toBe(true);
    expect((await readPdf(first.pdf)).info.CreationDate).toMatch(/^D:20110309000000/);
  });

  it('lets concurrent callers share the one page safely', async () => {
    // Prepare
    const a = exampleLetter();
    const b = withFindings(a, [{ category: 'strength', text: 'Only in letter B.' }]);

    // Act
    const together = await Promise.all([renderPdf(a), renderPdf(b), renderPdf(a, { draft: true }), renderPdf(b)]);
    const oneByOne = [await renderPdf(a), await renderPdf(b), await renderPdf(a, { draft: true }), await renderPdf(b)];

    // Assess
    expect(together.map((r) => r.read.text)).toEqual(oneByOne.map((r) => r.read.text));
    expect(together.map((r) => r.pages)).toEqual(oneByOne.map((r) => r.pages));
    expect(together[1].read.text).toContain('Only in letter B.');
    expect(together[0].read.text).not.toContain('Only in letter B.');
    expect(together[2].read.text).toContain('DRAFT');
  });
});

describe('the letter as a PDF, whichever way Chromium runs', () => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  const renderers = RENDERER_MODES.map(({ singleProcess }) => new ChromiumPdfRenderer({ singleProcess, timeoutMs: 30_000 }));

  afterAll(async () => {
    await Promise.all(renderers.map((r) => r.close()));
  });

  it('gives the same bytes in one process (as on Lambda) as with a renderer process of its own (as locally)', async () => {
    // Prepare
    const content = exampleLetter();
    const html = template.render(content);

    // Act
    const [oneProcess, several] = await Promise.all(
      RENDERER_MODES.map((mode, i) => renderers[i].render(html, template.pdfMetadata(content)).then((r) => ({ mode: mode.mode, ...r }))),
    );

    // Assess
    expect(oneProcess.pages).toBe(2);
    expect(several.pdf.length).toBe(oneProcess.pdf.length);
    expect(several.pdf.equals(oneProcess.pdf)).toBe(true);
  });

  it("writes the same properties editing Chromium's file in place as rewriting it with pdf-lib", async () => {
    // Prepare: a file that already has its properties is not Chromium's shape, so pdf-lib rewrites it.
    const content = exampleLetter();
    const metadata = template.pdfMetadata(content);
    const edited = await renderers[0].render(template.render(content), metadata);

    // Act
    const rewritten = await withDocumentProperties(edited.pdf, metadata, {});

    // Assess
    expect(rewritten.pdf.equals(edited.pdf)).toBe(false);
    const [a, b] = await Promise.all([readPdf(edited.pdf), readPdf(rewritten.pdf)]);
    // pdf-lib also raises the header's version (1.4, Chromium's, to 1.7): not a property of the document.
    const { PDFFormatVersion: _a, ...editedInfo } = a.info;
    const { PDFFormatVersion: _b, ...rewrittenInfo } = b.info;
    expect(rewrittenInfo).toEqual(editedInfo);
    expect(b.language).toBe(a.language);
    expect(b.tagged).toBe(true);
    expect(b.pageText).toEqual(a.pageText);
    expect(rewritten.pages).toBe(edited.pages);
    expect(a.info.Author).toBe(metadata.author);
    expect(a.info.Keywords).toBe(metadata.keywords.join('; '));
  });
});

describe('the letter as HTML', () => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);

  it('opens its head with a strict Content-Security-Policy and names its language and title', () => {
    const html = template.render(exampleLetter());
    const head = /<head>\s*(<[^>]+>)/.exec(html)?.[1] ?? '';
    expect(head).toMatch(/^<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src 'none'; img-src data:;/);
    expect(html).toMatch(/<html lang="en-GB">/);
    expect(html).toContain(
      "<title>Annual unannounced inspection of contact, referral and assessment arrangements within Durham County Council children&#39;s services</title>",
    );
    expect(html).not.toMatch(/<script|<link|https?:\/\/|url\((?!data:)/i);
    // The fonts are the renderer's, offered to the browser through fontconfig; the HTML loads none.
    expect(html).not.toMatch(/@font-face/);
  });

  it('is a pure function of the letter, with a stable id and version', () => {
    const again = new NunjucksLetterTemplate(TEMPLATES_DIR);
    expect(template.templateId).toBe('ucra-annual');
    expect(template.templateVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(again.templateVersion).toBe(template.templateVersion);
    expect(again.render(exampleLetter())).toBe(template.render(exampleLetter()));
  });

  it('words the previous inspection by its outcome, and leaves it out when there was none', () => {
    const example = exampleLetter();
    const notAddressed = template.render({
      ...example,
      inspection: { ...example.inspection, previousInspection: { month: '2010-03', developmentAreasAddressed: false } },
    });
    const none = template.render({ ...example, inspection: { startDate: '2011-02-08', endDate: '2011-02-09' } });
    expect(template.render(example)).toContain('arrangements in March 2010 have been addressed.');
    expect(notAddressed).toContain('arrangements in March 2010 have not all been addressed.');
    expect(none).not.toContain('previous inspection');
  });

  it('refuses a letter meant for another template', () => {
    expect(() => template.render({ ...exampleLetter(), templateId: 'other' as 'ucra-annual' })).toThrow(/template/);
  });
});

describe('letter wording', () => {
  it('writes dates and spans of dates as a letter does', () => {
    expect(formatLongDate('2011-03-09')).toBe('9 March 2011');
    expect(formatMonth('2010-03')).toBe('March 2010');
    expect(formatDateRange('2011-02-08', '2011-02-08')).toBe('8 February 2011');
    expect(formatDateRange('2011-02-08', '2011-02-09')).toBe('8 and 9 February 2011');
    expect(formatDateRange('2011-02-07', '2011-02-09')).toBe('7 to 9 February 2011');
    expect(formatDateRange('2011-02-28', '2011-03-01')).toBe('28 February and 1 March 2011');
    expect(formatDateRange('2011-02-28', '2011-03-02')).toBe('28 February to 2 March 2011');
    expect(formatDateRange('2012-02-28', '2012-03-01')).toBe('28 February to 1 March 2012');
    expect(formatDateRange('2010-12-31', '2011-01-01')).toBe('31 December 2010 and 1 January 2011');
    expect(formatDateRange('2010-12-30', '2011-01-02')).toBe('30 December 2010 to 2 January 2011');
    expect(() => formatDateRange('2011-02-09', '2011-02-08')).toThrow(RangeError);
    expect(inspectionDatesPhrase('2011-02-08', '2011-02-09')).toBe('on 8 and 9 February 2011');
    expect(inspectionDatesPhrase('2011-02-07', '2011-02-09')).toBe('from 7 to 9 February 2011');
  });

  it('greets the addressee by honorific and surname', () => {
    expect(surnameOf('David Williams')).toBe('Williams');
    expect(surnameOf("Siobhán O'Connor-Łukasiewicz")).toBe("O'Connor-Łukasiewicz");
    expect(surnameOf('Anna van der Berg')).toBe('van der Berg');
    expect(surnameOf('Madonna')).toBe('Madonna');
  });
});
