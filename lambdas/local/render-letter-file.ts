/**
 * Renders a letter stored as JSON to a PDF, outside the pipeline:
 *   npm run render -- path/to/letter.json out.pdf [--draft]
 * 1. read and validate the letter against the same schema as the API;
 * 2. give its findings ids, in order, as the repository would;
 * 3. render the HTML with the letter template and print it with Chromium;
 * 4. write the PDF and report its pages and SHA-256.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LetterInput } from '../core/letter-schema';
import type { Finding, LetterContent } from '../core/letter';
import { ChromiumPdfRenderer } from '../adapters/chromium/chromium-pdf-renderer';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../adapters/templates/nunjucks-letter-template';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

function usage(): never {
  console.error('usage: npm run render -- <letter.json> <out.pdf> [--draft]');
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const draft = argv.includes('--draft');
  const [inputPath, outputPath] = argv.filter((a) => a !== '--draft');
  if (!inputPath || !outputPath) usage();

  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(inputPath, 'utf8'));
  } catch (error) {
    console.error(`${inputPath}: cannot read JSON: ${(error as Error).message}`);
    return 1;
  }
  const parsed = LetterInput.safeParse(raw);
  if (!parsed.success) {
    console.error(`${inputPath}: the letter is not valid:`);
    for (const issue of parsed.error.issues) {
      console.error(`  ${issue.path.join('.') || '(letter)'}: ${issue.message}`);
    }
    return 1;
  }

  const findings: Finding[] = parsed.data.findings.map((f, i) => ({ id: `f${String(i + 1).padStart(4, '0')}`, ...f }));
  const content: LetterContent & { findings: Finding[] } = { ...parsed.data, findings };

  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  const renderer = new ChromiumPdfRenderer({
    logger: { info: () => {}, warn: (message, details) => console.warn(`warning: ${message}`, details ?? '') },
  });
  try {
    const started = Date.now();
    const html = template.render(content, { draft });
    const { pdf, pages } = await renderer.render(html, letterPdfMetadata(content));
    await writeFile(outputPath, pdf);
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    console.log(`${outputPath}: ${pages} page${pages === 1 ? '' : 's'}, ${pdf.length} bytes, sha256 ${sha256}`);
    console.log(`template ${template.templateId} ${template.templateVersion}; ${template.fonts}; ${await renderer.fingerprint()}; ${Date.now() - started} ms`);
    return 0;
  } finally {
    await renderer.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
