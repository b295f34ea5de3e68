import { ParseSpeeds, PDFDocument } from 'pdf-lib';
import type { PdfMetadata, RenderedPdf } from '../../core/ports';

/**
 * Writes the document properties with pdf-lib, leaving Chromium's structure tree in place so
 * the PDF stays tagged for screen readers.
 */
export async function withDocumentProperties(pdf: Buffer, metadata: PdfMetadata, options: { producer?: string; documentDate?: Date }): Promise<RenderedPdf> {
  // pdf-lib by default yields to the event loop every 100 objects parsed and every 50 written, a
  // timer wait each time: over 10 ms a letter doing nothing. A letter's few hundred objects take
  // a few ms of CPU in one go.
  const doc = await PDFDocument.load(pdf, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
  const producer = options.producer ?? 'Inspection letters (Chromium, pdf-lib)';
  const date = metadata.creationDate ?? options.documentDate ?? new Date();
  doc.setTitle(metadata.title, { showInWindowTitleBar: true });
  doc.setAuthor(metadata.author);
  doc.setSubject(metadata.subject);
  // pdf-lib joins keywords with spaces, which would run multi-word keywords together.
  doc.setKeywords([metadata.keywords.join('; ')]);
  doc.setLanguage(metadata.lang);
  doc.setProducer(producer);
  doc.setCreator(producer);
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  const bytes = await doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false, objectsPerTick: Infinity });
  return { pdf: Buffer.from(bytes), pages: doc.getPageCount() };
}
