import type { LetterContent, PdfRecord, Withdrawal } from './letter';
import type { RecipientRole } from './letter-schema';
import { councilSlug, formatLongDate, salutationOf } from './letter-text';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// The addressee is greeted as the letter greets them; the copies' recipients by name.
const salutation = (content: LetterContent, role: RecipientRole) =>
  role === 'director' ? salutationOf(content.recipients.director) : `Dear ${content.recipients[role].name}`;

/** A file name a person recognises: council and letter date. */
export function letterFileName(content: Pick<LetterContent, 'authority' | 'letterDate'>): string {
  return `inspection-letter-${councilSlug(content.authority.name)}-${content.letterDate}.pdf`;
}

/**
 * The note that carries the letter to one recipient: it names the council and the
 * inspection, says who the letter is addressed to, and attaches the archived PDF.
 */
export function coveringEmail(content: LetterContent, role: RecipientRole, pdf: Pick<PdfRecord, 'pages' | 'sha256'>) {
  const council = content.authority.name;
  const director = content.recipients.director;
  const period =
    content.inspection.startDate === content.inspection.endDate
      ? `on ${formatLongDate(content.inspection.startDate)}`
      : `from ${formatLongDate(content.inspection.startDate)} to ${formatLongDate(content.inspection.endDate)}`;
  const correction = content.replaces
    ? `This is a correction. The attached letter replaces the letter of ${formatLongDate(content.replaces.letterDate)} about the same inspection, which should no longer be relied on.`
    : undefined;
  const paragraphs = [
    salutation(content, role),
    ...(correction ? [correction] : []),
    `Please find attached the outcome letter of the annual unannounced inspection of contact, referral and assessment arrangements within ${council} children's services, carried out ${period}.`,
    `The letter is dated ${formatLongDate(content.letterDate)} and is addressed to ${director.honorific} ${director.name}, ${director.jobTitle}, ${director.organisation}. ${
      role === 'director' ? 'Copies go to the chief executive and to the Department for Education.' : 'This copy is sent to you as a statutory recipient.'
    }`,
    `The attached PDF has ${pdf.pages} ${pdf.pages === 1 ? 'page' : 'pages'}. Its SHA-256 fingerprint is ${pdf.sha256}: anyone can confirm that a copy is the letter as archived by computing the fingerprint of the file and looking it up at /api/verify/${pdf.sha256} on the inspection letters service.`,
    `${content.inspector.name}\n${content.inspector.jobTitle}`,
  ];
  return {
    subject: `${content.replaces ? 'Correction: ' : ''}Inspection outcome letter: ${council}, ${formatLongDate(content.letterDate)}`,
    text: paragraphs.join('\n\n'),
    html: `<!doctype html><html lang="en-GB"><body>${paragraphs
      .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
      .join('')}</body></html>`,
    filename: letterFileName(content),
  };
}

/** The short notice that a letter the recipient was sent has been withdrawn, and why. */
export function withdrawalNotice(content: LetterContent, role: RecipientRole, withdrawal: Pick<Withdrawal, 'reason'>) {
  const council = content.authority.name;
  const paragraphs = [
    salutation(content, role),
    `The inspection outcome letter dated ${formatLongDate(content.letterDate)} about ${council} children's services, which was sent to you, has been withdrawn. Please disregard it and do not rely on it.`,
    `Reason: ${withdrawal.reason}`,
    `${content.inspector.name}\n${content.inspector.jobTitle}`,
  ];
  return {
    subject: `Withdrawn: Inspection outcome letter: ${council}, ${formatLongDate(content.letterDate)}`,
    text: paragraphs.join('\n\n'),
    html: `<!doctype html><html lang="en-GB"><body>${paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('')}</body></html>`,
  };
}
