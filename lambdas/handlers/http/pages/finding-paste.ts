/**
 * Several findings pasted at once, from a document, a PDF or an email, split into one text
 * each. The rules, in the order they are tried:
 *
 * 1. Bullets or numbers (•, -, *, –, "1." or "1)") start each finding; the lines after a bullet
 *    up to the next one are the same finding, wrapped (as a PDF wraps them), joined by spaces.
 * 2. Otherwise blank lines separate findings; a single line break inside one is kept.
 * 3. Otherwise each line is a finding (a word processor pastes a paragraph as one line).
 */
const BULLET = /^\s*(?:[•●▪◦·‣⁃*\-–—]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+/i;
const BLANK_LINE = /\n[ \t]*\n/;

export function splitPastedFindings(pasted: string): string[] {
  const text = pasted.replace(/\r\n?/g, '\n').trim();
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.some((line) => BULLET.test(line) && line.replace(BULLET, '').trim() !== '')) {
    const items: string[][] = [];
    for (const line of lines) {
      if (BULLET.test(line)) items.push([line.replace(BULLET, '').trim()]);
      else if (line.trim() !== '') (items.at(-1) ?? items[items.push([]) - 1]!).push(line.trim());
    }
    return items.map((words) => words.join(' ').trim()).filter(Boolean);
  }
  if (BLANK_LINE.test(text)) {
    return text
      .split(BLANK_LINE)
      .map((p) => p.split('\n').map((l) => l.trim()).join('\n').trim())
      .filter(Boolean);
  }
  return lines.map((l) => l.trim()).filter(Boolean);
}
