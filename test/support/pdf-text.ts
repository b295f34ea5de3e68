import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface PdfText {
  pages: number;
  /** Text of each page, lines separated by newlines, in content order. */
  pageText: string[];
  /** All pages' text joined, one page after another. */
  text: string;
  info: {
    Title?: string;
    Author?: string;
    Subject?: string;
    Keywords?: string;
    Creator?: string;
    Producer?: string;
    Language?: string;
    [key: string]: unknown;
  };
  /** The catalog's /Lang, as pdf.js reads it. */
  language: string | undefined;
  /** MarkInfo says Marked and page 1 has a structure tree: a tagged PDF. */
  tagged: boolean;
  markInfo: { Marked: boolean } | null;
  hasStructTree: boolean;
}

/** Reads a PDF the way a reader or a screen reader would: its text, properties and tagging. */
export async function readPdf(pdf: Uint8Array): Promise<PdfText> {
  // pdf.js takes ownership of the buffer it is given; hand it a copy.
  const doc = await getDocument({
    data: new Uint8Array(pdf),
    useSystemFonts: false,
    isEvalSupported: false,
    disableFontFace: true,
    verbosity: 0,
  }).promise;
  try {
    const pageText: string[] = [];
    let hasStructTree = false;
    for (let n = 1; n <= doc.numPages; n += 1) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pageText.push(text);
      if (n === 1) hasStructTree = (await page.getStructTree()) != null;
    }
    const info = (await doc.getMetadata()).info as PdfText['info'];
    const markInfo = await doc.getMarkInfo();
    return {
      pages: doc.numPages,
      pageText,
      text: pageText.join('\n'),
      info,
      language: typeof info.Language === 'string' ? info.Language : undefined,
      tagged: Boolean(markInfo?.Marked) && hasStructTree,
      markInfo,
      hasStructTree,
    };
  } finally {
    await doc.destroy();
  }
}

/** Words of a text, whitespace normalised, for comparing reading order word by word. */
export function words(text: string): string[] {
  return text.normalize('NFC').split(/\s+/).filter((w) => w.length > 0);
}
