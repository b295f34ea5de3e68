import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { fontconfigFile } from '../../lambdas/adapters/chromium/fontconfig';
import { letterFonts } from '../../lambdas/adapters/templates/letter-fonts';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
const example = () => JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url)), 'utf8'));

/** The names of the fonts a PDF embeds, without their subset prefixes. */
async function embeddedFonts(pdf: Buffer): Promise<string[]> {
  const doc = await PDFDocument.load(pdf);
  const names = new Set<string>();
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (object instanceof PDFDict && object.get(PDFName.of('Type')) === PDFName.of('FontDescriptor')) {
      names.add(String(object.get(PDFName.of('FontName'))).replace(/^\/([A-Z]{6}\+)?/, ''));
    }
  }
  return [...names].sort();
}

// The browser is offered the letter's fonts through fontconfig and nothing else, as on Lambda.
describe("a letter in scripts Arimo lacks, printed with the letter's fonts", () => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  let renderer: ChromiumPdfRenderer;
  let before: string | undefined;

  beforeAll(() => {
    before = process.env.FONTCONFIG_FILE;
    process.env.FONTCONFIG_FILE = fontconfigFile(letterFonts().files);
    renderer = new ChromiumPdfRenderer({ timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await renderer.close();
    if (before === undefined) delete process.env.FONTCONFIG_FILE;
    else process.env.FONTCONFIG_FILE = before;
  });

  it('prints Arabic, Hebrew, Thai and emoji in fonts that have them, not as empty boxes', async () => {
    const letter = example();
    letter.findings = [
      { category: 'strength', text: 'Families who speak Arabic (مرحبا بكم) are welcomed in their language.' },
      { category: 'strength', text: 'Leaflets are in Hebrew (שלום) and Thai (สวัสดีครับ) too.' },
      { category: 'areaForDevelopment', text: 'Some case notes use emoji 👍🏽 where words belong.' },
    ];
    const content = { ...letter, findings: letter.findings.map((f: object, i: number) => ({ id: `f${i + 1}`, ...f })) };

    const { pdf } = await renderer.render(template.render(content), letterPdfMetadata(content));

    const fonts = await embeddedFonts(pdf);
    // Arimo's whole TrueType files cover Hebrew (and Greek and Cyrillic) themselves; Noto fills in the rest.
    for (const family of ['Arimo', 'NotoSansArabic', 'NotoSansThai', 'NotoEmoji']) {
      expect(fonts).toEqual(expect.arrayContaining([expect.stringContaining(family)]));
    }
  });
});
