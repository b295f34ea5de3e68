import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { letterPdfMetadata, type NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { exampleContent } from './letters';
import type { Progress } from './progress';
import { quietLogger } from './render';
import { round, type Summary, summarise, timed } from './stats';

export interface PagesRow {
  /** Pages asked for, and pages the PDF has. */
  target: number;
  pages: number;
  ms: Summary;
  msPerPage: number;
}

export interface PagesResult {
  rows: PagesRow[];
  /** Time per page of the longest letter over time per page of the shortest: 1 is linear. */
  growth: number;
}

// A finding of thirty lines, every other one blank: as tall as the schema lets one finding be, and
// kept whole on a page, so each takes a page of its own.
const TALL_FINDING = Array.from({ length: 30 }, (_, i) => (i % 2 ? '' : `Line ${i + 1} of a finding as tall as a finding may be.`)).join('\n');

/**
 * DRAFT preview time against page count: the example letter grown with findings as tall as the
 * schema allows until it prints about 50, 100 and 200 pages (past the page limit, which the
 * renderer here is not asked to hold), each rendered warm on the preview lane. Time should grow
 * with the pages, not faster.
 */
export async function previewPagesRun(
  template: NunjucksLetterTemplate,
  counts: { targets: number[]; warmup: number; runs: number },
  progress: Progress,
): Promise<PagesResult> {
  const renderer = new ChromiumPdfRenderer({ logger: quietLogger, timeoutMs: 120_000 });
  const rows: PagesRow[] = [];
  try {
    progress.start('DRAFT previews of 50 to 200 pages', counts.targets.length * (counts.warmup + counts.runs));
    for (const target of counts.targets) {
      const example = exampleContent();
      const findings = Array.from({ length: target - 1 }, (_, i) => ({
        id: `f${String(i + 1).padStart(4, '0')}`,
        category: example.findings[i % example.findings.length]!.category,
        text: TALL_FINDING,
      }));
      const content = { ...example, findings };
      const html = template.render(content, { draft: true });
      const metadata = letterPdfMetadata(content);
      let pages = 0;
      for (let i = 0; i < counts.warmup; i++) {
        pages = (await renderer.render(html, metadata, { lane: 'preview' })).pages;
        progress.tick();
      }
      const samples: number[] = [];
      for (let i = 0; i < counts.runs; i++) {
        const [ms, rendered] = await timed(() => renderer.render(html, metadata, { lane: 'preview' }));
        samples.push(ms);
        pages = rendered.pages;
        progress.tick();
      }
      const ms = summarise(samples);
      rows.push({ target, pages, ms, msPerPage: round(ms.median / pages, 2) });
    }
  } finally {
    await renderer.close();
  }
  return { rows, growth: round(rows[rows.length - 1]!.msPerPage / rows[0]!.msPerPage, 2) };
}
