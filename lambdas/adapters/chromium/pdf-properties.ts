import { ParseSpeeds, PDFDocument, PDFName } from 'pdf-lib';
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
  attachXmp(doc, metadata, producer, date);
  const bytes = await doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false, objectsPerTick: Infinity });
  return { pdf: Buffer.from(bytes), pages: doc.getPageCount() };
}

const xmlText = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Whether the PDF claims PDF/UA-1. No PDF/UA validator runs here, so the claim rests on
 * test/integration/pdf-structure.test.ts, which checks the structure tree Chromium writes (all
 * text marked inside structure elements, headings in order, lists as L and LI, the language,
 * and a title shown in the window) and holds this flag to the result. Today one check fails:
 * the page numbers Chromium prints in the page margin are neither tagged nor marked as
 * artifacts, so the PDF does not claim PDF/UA.
 */
export const CLAIMS_PDF_UA = false;

/**
 * The XMP metadata packet: the same title, language and dates as the document information, so
 * readers that look only at XMP agree with it. Built from the letter alone, so a re-render
 * writes the same bytes.
 */
export function xmpPacket(metadata: PdfMetadata, producer: string, date: Date): string {
  const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const keywords = metadata.keywords.join('; ');
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about=""',
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"',
    ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"',
    ' xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
    ...(CLAIMS_PDF_UA ? [' xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'] : []),
    '>',
    `<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${xmlText(metadata.title)}</rdf:li></rdf:Alt></dc:title>`,
    `<dc:creator><rdf:Seq><rdf:li>${xmlText(metadata.author)}</rdf:li></rdf:Seq></dc:creator>`,
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${xmlText(metadata.subject)}</rdf:li></rdf:Alt></dc:description>`,
    `<dc:language><rdf:Bag><rdf:li>${xmlText(metadata.lang)}</rdf:li></rdf:Bag></dc:language>`,
    '<dc:format>application/pdf</dc:format>',
    `<pdf:Keywords>${xmlText(keywords)}</pdf:Keywords>`,
    `<pdf:Producer>${xmlText(producer)}</pdf:Producer>`,
    `<xmp:CreatorTool>${xmlText(producer)}</xmp:CreatorTool>`,
    `<xmp:CreateDate>${iso}</xmp:CreateDate>`,
    `<xmp:ModifyDate>${iso}</xmp:ModifyDate>`,
    ...(CLAIMS_PDF_UA ? ['<pdfuaid:part>1</pdfuaid:part>'] : []),
    '</rdf:Description>',
    '</rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

/** Stores the packet uncompressed, as XMP readers expect, as the catalog's Metadata stream. */
function attachXmp(doc: PDFDocument, metadata: PdfMetadata, producer: string, date: Date): void {
  const stream = doc.context.stream(Buffer.from(xmpPacket(metadata, producer, date), 'utf8'), { Type: 'Metadata', Subtype: 'XML' });
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(stream));
}
