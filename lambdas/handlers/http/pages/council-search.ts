/**
 * The search form's council: a whole name, the start of one, or a name picked from the list.
 * The API searches by whole names only; the form finds the name it means first.
 */
export type CouncilChoice =
  | { kind: 'one'; name: string }
  | { kind: 'several'; typed: string; names: string[] }
  | { kind: 'none'; typed: string; near: string[] };

/** As the API compares names: NFKC, case and spacing ignored. */
export const normalisedName = (name: string) => name.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function councilChoice(typed: string, names: readonly string[]): CouncilChoice {
  const wanted = normalisedName(typed);
  const exact = names.find((n) => normalisedName(n) === wanted);
  if (exact) return { kind: 'one', name: exact };
  const starting = names.filter((n) => normalisedName(n).startsWith(wanted));
  if (starting.length === 1) return { kind: 'one', name: starting[0]! };
  if (starting.length > 1) return { kind: 'several', typed, names: starting.slice(0, 10) };
  // Nothing starts so: names with a word that starts so, then the names closest in spelling.
  const byWord = names.filter((n) => normalisedName(n).split(/[\s-]+/).some((w) => w.startsWith(wanted)));
  const close = names
    .map((n) => ({ n, d: editDistance(wanted, normalisedName(n).slice(0, Math.max(wanted.length, 1))) }))
    .filter(({ d }) => d <= Math.max(2, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.d - b.d)
    .map(({ n }) => n);
  return { kind: 'none', typed, near: [...new Set([...byWord, ...close])].slice(0, 5) };
}
