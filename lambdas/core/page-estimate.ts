import type { LetterContent } from './letter';
import { FINDING_CATEGORIES, linesOf } from './letter-schema';

/**
 * How many A4 pages the letter template prints for a letter, worked out from its text alone, so
 * the API can refuse an over-long letter at submit without a browser. It lays the letter out in
 * printed lines the way the template does (11pt text, 1.3 line height, findings kept whole on a
 * page), counting each line break and wrapping long lines at an average width. For real letters
 * it is within a page of the PDF; the render stage counts the PDF's own pages and refuses one
 * over the limit all the same.
 */
export function estimatePages(content: LetterContent): number {
  const layout = new PageLayout();
  layout.flow(FIXED_TOP_LINES);
  for (const paragraph of paragraphsOf(content.summary ?? '')) layout.flow(printedLines(paragraph, SUMMARY_CHARS_PER_LINE) + PARAGRAPH_GAP);
  if (content.inspection?.previousInspection) layout.flow(PREVIOUS_INSPECTION_LINES);
  const findings = content.findings ?? [];
  for (const category of FINDING_CATEGORIES) {
    const inSection = findings.filter((f) => f.category === category);
    if (inSection.length === 0) continue;
    // A heading never ends a page: it goes with its first finding.
    const [first, ...rest] = inSection.map((f) => printedLines(f.text, FINDING_CHARS_PER_LINE) + FINDING_GAP);
    layout.keepTogether(HEADING_LINES + first);
    for (const lines of rest) layout.keepTogether(lines);
  }
  layout.flow(CLOSING_LINES);
  layout.keepTogether(SIGNOFF_LINES);
  layout.keepTogether(COPIES_LINES);
  return layout.pages;
}

// Measured against the template's PDF: printed lines of 11pt text on one page, and what each part takes.
const LINES_PER_PAGE = 52;
const FIXED_TOP_LINES = 36;
const PREVIOUS_INSPECTION_LINES = 3.5;
const PARAGRAPH_GAP = 0.55;
const HEADING_LINES = 2.05;
const FINDING_GAP = 0.28;
const CLOSING_LINES = 3.3;
const SIGNOFF_LINES = 5.4;
const COPIES_LINES = 3;
const SUMMARY_CHARS_PER_LINE = 96;
const FINDING_CHARS_PER_LINE = 92;

function paragraphsOf(text: string): string[] {
  return text
    .split(/(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Lines a text takes when printed: every line break starts a line, and long lines wrap. */
function printedLines(text: string, charsPerLine: number): number {
  let lines = 0;
  for (const line of linesOf(text.trim())) lines += Math.max(1, Math.ceil([...line].length / charsPerLine));
  return lines;
}


class PageLayout {
  pages = 1;
  private used = 0;

  /** Text that may break across pages. */
  flow(lines: number): void {
    this.used += lines;
    while (this.used > LINES_PER_PAGE) {
      this.pages += 1;
      this.used -= LINES_PER_PAGE;
    }
  }

  /** A block kept whole on one page when it fits on one. */
  keepTogether(lines: number): void {
    if (this.used + lines > LINES_PER_PAGE && lines <= LINES_PER_PAGE && this.used > 0) {
      this.pages += 1;
      this.used = 0;
    }
    this.flow(lines);
  }
}
