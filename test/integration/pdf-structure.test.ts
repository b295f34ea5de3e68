import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { CLAIMS_PDF_UA } from '../../lambdas/adapters/chromium/pdf-properties';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { LetterInput } from '../../lambdas/core/letter-schema';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url));

function exampleLetter() {
  const input = LetterInput.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  return { ...input, findings: input.findings.map((f, i) => ({ id: `f${String(i + 1).padStart(4, '0')}`, ...f })) };
}

interface StructNode {
  role?: string;
  children?: StructNode[];
}

/** What PDF/UA asks of the structure, checked the way a screen reader meets the document. */
async function structureChecks(pdf: Uint8Array) {
  const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0, isEvalSupported: false }).promise;
  const roles: string[] = [];
  const lists: { items: number; other: string[] }[] = [];
  let untagged: string[] = [];
  const walk = (node: StructNode) => {
    if (node.role) roles.push(node.role);
    if (node.role === 'L') {
      const kids = (node.children ?? []).map((c) => c.role ?? 'content');
      lists.push({ items: kids.filter((r) => r === 'LI').length, other: kids.filter((r) => r !== 'LI') });
    }
    for (const child of node.children ?? []) walk(child);
  };
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    walk((await page.getStructTree()) as StructNode);
    // Text drawn outside any marked content belongs to no structure element and is no artifact.
    let depth = 0;
    for (const item of (await page.getTextContent({ includeMarkedContent: true })).items as { type?: string; str?: string }[]) {
      if (item.type === 'beginMarkedContent' || item.type === 'beginMarkedContentProps') depth++;
      else if (item.type === 'endMarkedContent') depth--;
      else if (depth === 0 && item.str?.trim()) untagged.push(item.str);
    }
  }
  await doc.destroy();
  const headings = roles.filter((r) => /^H[1-6]$/.test(r)).map((r) => Number(r.slice(1)));
  const lib = await PDFDocument.load(pdf, { updateMetadata: false });
  const preferences = lib.catalog.lookupMaybe(PDFName.of('ViewerPreferences'), PDFDict);
  untagged = [...new Set(untagged)];
  return {
    allTextTagged: untagged.length === 0,
    untagged,
    headingsInOrder: headings[0] === 1 && headings.every((h, i) => i === 0 || h <= headings[i - 1] + 1),
    listsAsLAndLI: lists.length > 0 && lists.every((l) => l.items > 0 && l.other.length === 0),
    language: lib.catalog.get(PDFName.of('Lang'))?.toString() ?? '',
    displaysTitle: preferences?.get(PDFName.of('DisplayDocTitle'))?.toString() === 'true',
  };
}

describe('the archived PDF describes itself', () => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  const content = exampleLetter();
  let renderer: ChromiumPdfRenderer;
  let dir: string;

  beforeAll(() => {
    renderer = new ChromiumPdfRenderer({ timeoutMs: 30_000 });
    dir = mkdtempSync(join(tmpdir(), 'letters-pdf-'));
  });

  afterAll(async () => {
    await renderer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries an XMP packet with its title and language, and re-renders to the same bytes', async () => {
    // Act
    const first = await renderer.render(template.render(content), letterPdfMetadata(content));
    const again = await renderer.render(template.render(content), letterPdfMetadata(content));

    // Assess: pdfinfo reads the packet from the catalog's Metadata stream.
    expect(Buffer.compare(first.pdf, again.pdf)).toBe(0);
    const file = join(dir, 'letter.pdf');
    writeFileSync(file, first.pdf);
    const xmp = execFileSync('pdfinfo', ['-meta', file], { encoding: 'utf8' });
    expect(xmp).toContain('<x:xmpmeta');
    expect(xmp).toMatch(/<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Annual unannounced inspection of contact, referral and assessment arrangements within Durham County Council children's services<\/rdf:li>/);
    expect(xmp).toContain('<dc:language><rdf:Bag><rdf:li>en-GB</rdf:li></rdf:Bag></dc:language>');
    expect(xmp).toContain('<xmp:CreateDate>2011-03-09T00:00:00Z</xmp:CreateDate>');
    expect(xmp.includes('<pdfuaid:part>1</pdfuaid:part>')).toBe(CLAIMS_PDF_UA);
  });

  it('claims PDF/UA exactly when its structure tree passes every check', async () => {
    const { pdf } = await renderer.render(template.render(content), letterPdfMetadata(content));
    const checks = await structureChecks(pdf);

    expect(checks.headingsInOrder).toBe(true);
    expect(checks.listsAsLAndLI).toBe(true);
    expect(checks.language).toBe('(en-GB)');
    expect(checks.displaysTitle).toBe(true);
    // The page numbers in the margin are the one thing left outside the structure tree.
    expect(checks.untagged.every((text) => /^Page \d+ of \d+$/.test(text.trim()))).toBe(true);
    const passes = checks.allTextTagged && checks.headingsInOrder && checks.listsAsLAndLI && checks.language !== '' && checks.displaysTitle;
    expect(CLAIMS_PDF_UA).toBe(passes);
  });
});
