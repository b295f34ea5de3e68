import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { FindingCategory } from '../../core/letter-schema';
import type { LetterContent } from '../../core/letter';
import { formatDateRange, formatLongDate, formatMonth, inspectionDatesPhrase, salutationOf } from '../../core/letter-text';
import type { LetterTemplate, PdfMetadata } from '../../core/ports';
import { letterFonts } from './letter-fonts';

const TEMPLATE_ID = 'ucra-annual';
const LANG = 'en-GB';
const ISSUER = 'Ofsted';

/**
 * What the letter's HTML may load: inline styles and data: images, nothing else; no font, script,
 * frame, fetch or remote resource (its fonts are the renderer's, found by name). Carried in the
 * letter's own meta tag and, where the letter is served, in the header too.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; font-src 'none'; img-src data:; base-uri 'none'; form-action 'none'";

/** The sections of the letter, in the order they are printed. */
const SECTIONS: { category: FindingCategory; heading: string }[] = [
  { category: 'strength', heading: 'Strengths' },
  { category: 'meetsRequirements', heading: 'The service meets the requirements of statutory guidance in the following areas' },
  { category: 'areaForDevelopment', heading: 'Areas for development' },
];

/** The letter's title, used as its heading, HTML title and PDF title. */
export function letterTitle(content: LetterContent): string {
  return `Annual unannounced inspection of contact, referral and assessment arrangements within ${content.authority.name} children's services`;
}

/**
 * The document properties of a letter's PDF; pure, so the archive can record them too. The
 * creation date is the letter's own date, which makes a re-render of the same letter
 * byte-for-byte identical.
 */
export function letterPdfMetadata(content: LetterContent): PdfMetadata {
  return {
    creationDate: new Date(`${content.letterDate}T00:00:00Z`),
    title: content.replaces ? `${letterTitle(content)} (correction)` : letterTitle(content),
    author: `${content.inspector.name}, ${content.inspector.jobTitle}, ${ISSUER}`,
    subject: `Outcome of the unannounced inspection of contact, referral and assessment arrangements in ${content.authority.name}, ${formatDateRange(content.inspection.startDate, content.inspection.endDate)}`,
    keywords: [
      ISSUER,
      "children's services",
      'contact, referral and assessment',
      'unannounced inspection',
      content.authority.name,
      content.letterDate,
      content.templateId,
    ],
    lang: LANG,
  };
}

// Blank lines in the summary separate paragraphs; single line breaks are kept by the style sheet.
function paragraphs(text: string): string[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Everything the template prints, worked out in code so the template only lays it out. */
export function letterTemplateData(content: LetterContent) {
  const { director, chiefExecutive, dfe } = content.recipients;
  const findings = content.findings as { id?: string; category: FindingCategory; text: string }[];
  const prev = content.inspection.previousInspection;
  return {
    lang: LANG,
    title: letterTitle(content),
    metadata: letterPdfMetadata(content),
    sender: content.sender,
    letterDate: { iso: content.letterDate, text: formatLongDate(content.letterDate) },
    recipient: {
      nameLine: `${director.honorific} ${director.name}`,
      jobTitle: director.jobTitle,
      organisation: director.organisation,
      address: director.address,
    },
    salutation: salutationOf(director),
    // A correction says in the letter itself which letter it replaces.
    replaces: content.replaces ? { date: formatLongDate(content.replaces.letterDate), id: content.replaces.id } : null,
    authorityName: content.authority.name,
    inspectionDates: inspectionDatesPhrase(content.inspection.startDate, content.inspection.endDate),
    summary: paragraphs(content.summary),
    previousInspection: prev ? { month: formatMonth(prev.month), addressed: prev.developmentAreasAddressed } : null,
    sections: SECTIONS.map((s) => ({
      ...s,
      findings: findings.filter((f) => f.category === s.category).map((f) => ({ id: f.id ?? null, text: f.text })),
    })).filter((s) => s.findings.length > 0),
    inspector: content.inspector,
    copies: [
      `${chiefExecutive.name}, ${chiefExecutive.jobTitle}, ${chiefExecutive.organisation}`,
      `${dfe.name}, ${dfe.organisation}`,
    ],
  };
}

export interface NunjucksLetterTemplateOptions {
  /** FONTS_DIR: where the letter's font files are, when not read from node_modules (Lambda bundles). */
  fontsDir?: string;
}

/**
 * The letter template: Nunjucks partials under `<templatesDir>/letter`, escaped by default,
 * failing loudly on a value the template expects and the data lacks.
 */
export class NunjucksLetterTemplate implements LetterTemplate {
  readonly templateId = TEMPLATE_ID;
  readonly templateVersion: string;
  readonly fonts: string;
  readonly contentSecurityPolicy = CONTENT_SECURITY_POLICY;
  private readonly env: nunjucks.Environment;
  private readonly styles: string;

  constructor(templatesDir: string, options: NunjucksLetterTemplateOptions = {}) {
    const dir = join(templatesDir, 'letter');
    // No @font-face: the renderer offers the same font files to the browser through fontconfig.
    const fonts = letterFonts(options.fontsDir);
    this.styles = readFileSync(join(dir, 'letter.css'), 'utf8');
    this.env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir), {
      autoescape: true,
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    });
    this.fonts = fonts.version;
    this.templateVersion = versionOf(dir, fonts.version);
  }

  pdfMetadata(content: LetterContent): PdfMetadata {
    return letterPdfMetadata(content);
  }

  render(content: LetterContent, options: { draft?: boolean } = {}): string {
    if (content.templateId !== this.templateId) {
      throw new Error(`template ${this.templateId} cannot render a letter for template ${content.templateId}`);
    }
    return this.env.render('letter.njk', {
      ...letterTemplateData(content),
      draft: options.draft === true,
      styles: this.styles,
      templateId: this.templateId,
      templateVersion: this.templateVersion,
      contentSecurityPolicy: this.contentSecurityPolicy,
    });
  }
}

// A hash of the template's own files and its fonts: any change to what shapes the PDF changes it.
function versionOf(dir: string, fontVersion: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(njk|css)$/.test(name)) continue;
    hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
  }
  hash.update(fontVersion);
  return hash.digest('hex').slice(0, 16);
}
