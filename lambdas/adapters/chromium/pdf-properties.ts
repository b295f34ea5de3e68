import { ParseSpeeds, PDFDocument, PDFName } from 'pdf-lib';
import type { PdfMetadata, RenderedPdf } from '../../core/ports';

/**
 * Writes the document properties, leaving Chromium's structure tree in place so the PDF stays
 * tagged for screen readers. Chromium's own PDF (one classic cross-reference table, the document
 * information as its first object) is edited directly: the information object replaced, the XMP
 * packet added and the table rewritten, a fraction of a millisecond. Any other shape goes through
 * pdf-lib, which parses and writes the whole file (several ms a letter).
 */
export async function withDocumentProperties(pdf: Buffer, metadata: PdfMetadata, options: { producer?: string; documentDate?: Date }): Promise<RenderedPdf> {
  const producer = options.producer ?? 'Inspection letters (Chromium)';
  const date = metadata.creationDate ?? options.documentDate ?? new Date();
  return editChromiumPdf(pdf, metadata, producer, date) ?? withPdfLib(pdf, metadata, producer, date);
}

async function withPdfLib(pdf: Buffer, metadata: PdfMetadata, producer: string, date: Date): Promise<RenderedPdf> {
  // pdf-lib by default yields to the event loop every 100 objects parsed and every 50 written, a
  // timer wait each time: over 10 ms a letter doing nothing. A letter's few hundred objects take
  // a few ms of CPU in one go.
  const doc = await PDFDocument.load(pdf, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
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

/** A text string as PDF writes one: UTF-16BE with a byte order mark, in hex. */
function pdfText(text: string): string {
  const units = Buffer.from(`\uFEFF${text}`, 'utf16le').swap16();
  return `<${units.toString('hex').toUpperCase()}>`;
}

const pdfDate = (date: Date) => `(D:${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z)`;

/**
 * Chromium's PDF with the properties written, or undefined when the file is not in the shape
 * this expects (then pdf-lib does it). Objects keep their numbers: the information object (the
 * trailer's /Info) is replaced, the catalog gains /Metadata, /Lang and the title shown in the
 * window, the XMP packet is a new object, and the table and trailer are written for the new offsets.
 */
function editChromiumPdf(pdf: Buffer, metadata: PdfMetadata, producer: string, date: Date): RenderedPdf | undefined {
  const text = pdf.toString('latin1');
  const start = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text.slice(-64));
  if (!start) return undefined;
  const xrefAt = Number(start[1]);
  const table = /^xref\n0 (\d+)\n/.exec(text.slice(xrefAt, xrefAt + 32));
  if (!table) return undefined;
  const size = Number(table[1]);
  const entriesAt = xrefAt + table[0].length;
  const trailerAt = entriesAt + size * 20;
  const trailer = /^trailer\n<<\/Size (\d+)\n\/Root (\d+) 0 R\n\/Info (\d+) 0 R>>\nstartxref\n/.exec(text.slice(trailerAt, trailerAt + 128));
  if (!trailer || Number(trailer[1]) !== size || /\/(Encrypt|Prev|XRefStm|Metadata)\b/.test(text.slice(trailerAt))) return undefined;
  const offsets: number[] = [];
  for (let n = 0; n < size; n++) {
    const entry = /^(\d{10}) (\d{5}) ([nf]) ?\r?\n$/.exec(text.slice(entriesAt + n * 20, entriesAt + n * 20 + 20));
    if (!entry) return undefined;
    offsets.push(entry[3] === 'n' ? Number(entry[1]) : -1);
  }
  const object = (n: number) => {
    const at = offsets[n];
    if (!(at > 0)) return undefined;
    const end = text.indexOf('\nendobj\n', at);
    const head = `${n} 0 obj\n`;
    if (end < 0 || !text.startsWith(head, at)) return undefined;
    return { at, end: end + '\nendobj\n'.length, body: text.slice(at + head.length, end) };
  };
  const root = Number(trailer[2]);
  const info = object(Number(trailer[3]));
  const catalog = object(root);
  if (!info || !catalog || !/^<<\/Type \/Catalog\n/.test(catalog.body) || !catalog.body.endsWith('>>') || /\/Metadata\b/.test(catalog.body)) return undefined;
  const pagesRef = /\/Pages (\d+) 0 R/.exec(catalog.body);
  const pages = pagesRef && object(Number(pagesRef[1]));
  const count = pages && /\/Count (\d+)/.exec(pages.body);
  if (!count) return undefined;

  const xmp = size;
  // The catalog's own entries, less the ones written here.
  const kept = catalog.body
    .slice(2, -2)
    .replace(/\n?\/Lang \((?:[^()\\]|\\.)*\)/, '')
    .replace(/\n?\/ViewerPreferences <<\/Type \/ViewerPreferences\n\/DisplayDocTitle true>>/, '');
  if (/\/(Lang|ViewerPreferences)\b/.test(kept)) return undefined;
  const newCatalog = `<<${kept}\n/ViewerPreferences <</Type /ViewerPreferences\n/DisplayDocTitle true>>\n/Lang ${/^[A-Za-z0-9-]+$/.test(metadata.lang) ? `(${metadata.lang})` : pdfText(metadata.lang)}\n/Metadata ${xmp} 0 R>>`;
  const newInfo = [
    `<</Title ${pdfText(metadata.title)}`,
    `/Author ${pdfText(metadata.author)}`,
    `/Subject ${pdfText(metadata.subject)}`,
    `/Keywords ${pdfText(metadata.keywords.join('; '))}`,
    `/Creator ${pdfText(producer)}`,
    `/Producer ${pdfText(producer)}`,
    `/CreationDate ${pdfDate(date)}`,
    `/ModDate ${pdfDate(date)}>>`,
  ].join('\n');
  const packet = Buffer.from(xmpPacket(metadata, producer, date), 'utf8');

  // The two objects replaced, in file order; everything between them kept byte for byte.
  const edits = [
    { from: info.at, to: info.end, with: `${Number(trailer[3])} 0 obj\n${newInfo}\nendobj\n` },
    { from: catalog.at, to: catalog.end, with: `${root} 0 obj\n${newCatalog}\nendobj\n` },
  ].sort((a, b) => a.from - b.from);
  if (edits[0].to > edits[1].from) return undefined;
  const parts: Buffer[] = [];
  let read = 0;
  const moved: { from: number; shift: number }[] = [];
  let shift = 0;
  for (const edit of edits) {
    parts.push(pdf.subarray(read, edit.from));
    const replacement = Buffer.from(edit.with, 'latin1');
    parts.push(replacement);
    shift += replacement.length - (edit.to - edit.from);
    moved.push({ from: edit.to, shift });
    read = edit.to;
  }
  parts.push(pdf.subarray(read, xrefAt));
  const xmpAt = xrefAt + shift;
  const xmpObject = Buffer.concat([
    Buffer.from(`${xmp} 0 obj\n<</Type /Metadata\n/Subtype /XML\n/Length ${packet.length}>> stream\n`, 'latin1'),
    packet,
    Buffer.from('\nendstream\nendobj\n', 'latin1'),
  ]);
  parts.push(xmpObject);
  const newOffset = (at: number) => at + (moved.filter((m) => at >= m.from).at(-1)?.shift ?? 0);
  const entries = offsets.map((at, n) =>
    at < 0 ? text.slice(entriesAt + n * 20, entriesAt + n * 20 + 20) : `${String(newOffset(at)).padStart(10, '0')} 00000 n \n`,
  );
  entries.push(`${String(xmpAt).padStart(10, '0')} 00000 n \n`);
  const newXrefAt = xmpAt + xmpObject.length;
  parts.push(
    Buffer.from(
      `xref\n0 ${size + 1}\n${entries.join('')}trailer\n<</Size ${size + 1}\n/Root ${root} 0 R\n/Info ${Number(trailer[3])} 0 R>>\nstartxref\n${newXrefAt}\n%%EOF\n`,
      'latin1',
    ),
  );
  return { pdf: Buffer.concat(parts), pages: Number(count[1]) };
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
