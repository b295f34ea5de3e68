/**
 * Council names as the directory, the letters and the search all read them. A name is kept in
 * Unicode NFKC with its spacing collapsed, and refused when it holds characters a reader cannot
 * see (zero-width spaces, soft hyphens, tag characters, fillers) or mixes look-alike letters of
 * different alphabets ("Durhаm" with a Cyrillic "а"): either would let a letter hide from a
 * search for the name as people type it.
 */

// Default-ignorable code points render as nothing; format, control, private-use, unassigned and
// separator characters either do the same or print as something other than the data says.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\u2800]/u;
const LETTER = /\p{L}/u;
const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Cherokee', 'Coptic'] as const;
const SCRIPT_TESTS = SCRIPTS.map((script) => ({ script, test: new RegExp(`\\p{Script=${script}}`, 'u') }));

/** NFKC, with every run of white space one plain space and none at either end. */
export function normaliseCouncilName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** Why a council name cannot be used, or undefined when it can. */
export function councilNameProblem(name: string): string | undefined {
  const normalised = normaliseCouncilName(name);
  if (INVISIBLE.test(name) || INVISIBLE.test(normalised)) {
    return 'must not contain invisible, formatting or control characters such as zero-width spaces or soft hyphens';
  }
  const scripts = new Set<string>();
  for (const char of normalised) {
    if (!LETTER.test(char)) continue;
    scripts.add(SCRIPT_TESTS.find((s) => s.test.test(char))?.script ?? 'other');
  }
  if (scripts.size > 1) return `must not mix letters of different alphabets (${[...scripts].sort().join(' and ')}), which look alike`;
  if (!/[a-z0-9]/i.test(councilCodeOf(normalised))) return 'must contain letters or digits';
  return undefined;
}

/** How names are compared: normalised, then case folded. "durham  COUNTY council" finds "Durham County Council". */
export function councilNameKey(name: string): string {
  return normaliseCouncilName(name).toLowerCase();
}

function councilCodeOf(normalised: string): string {
  return normalised
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/** A directory entry's code: the name in lower-case words joined by hyphens, "durham-county-council". */
export function councilCode(name: string): string {
  return councilCodeOf(normaliseCouncilName(name));
}

export const COUNCIL_CODE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
