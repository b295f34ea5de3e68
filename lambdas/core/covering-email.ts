import type { LetterContent, PdfRecord } from './letter';
import type { RecipientRole } from './letter-schema';

const longDate = (iso: string) =>
  new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function salutation(content: LetterContent, role: RecipientRole): string {
  if (role === 'director') {
    const d = content.recipients.director;
    return `Dear ${d.honorific} ${d.name.trim().split(/\s+/).at(-1)}`;
  }
  return `Dear ${content.recipients[role].name}`;
}

/** A file name a person recognises: council and letter date. */
export function letterFileName(content: Pick<LetterContent, 'authority' | 'letterDate'>): string {
  const council = content.authority.name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  return `inspection-letter-${council || 'council'}-${content.letterDate}.pdf`;
}

/**
 * The note that carries the letter to one recipient: it names the council and the
 * inspection, says who the letter is addressed to, and attaches the archived PDF.
 */
export function coveringEmail(content: LetterContent, role: RecipientRole, pdf: Pick<PdfRecord, 'pages'>) {
  const council = content.authority.name;
  const director = content.recipients.director;
  const period =
    content.inspection.startDate === content.inspection.endDate
      ? `on ${longDate(content.inspection.startDate)}`
      : `from ${longDate(content.inspection.startDate)} to ${longDate(content.inspection.endDate)}`;
  const paragraphs = [
    salutation(content, role),
    `Please find attached the outcome letter of the annual unannounced inspection of contact, referral and assessment arrangements within ${council} children's services, carried out ${period}.`,
    `The letter is dated ${longDate(content.letterDate)} and is addressed to ${director.honorific} ${director.name}, ${director.jobTitle}, ${director.organisation}. ${
      role === 'director' ? 'Copies go to the chief executive and to the Department for Education.' : 'This copy is sent to you as a statutory recipient.'
    }`,
    `The attached PDF has ${pdf.pages} ${pdf.pages === 1 ? 'page' : 'pages'}.`,
    `${content.inspector.name}\n${content.inspector.jobTitle}`,
  ];
  return {
    subject: `Inspection outcome letter: ${council}, ${longDate(content.letterDate)}`,
    text: paragraphs.join('\n\n'),
    html: `<!doctype html><html lang="en-GB"><body>${paragraphs
      .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
      .join('')}</body></html>`,
    filename: letterFileName(content),
  };
}
