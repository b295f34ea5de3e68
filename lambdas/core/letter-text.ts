/**
 * How a letter writes its facts: dates as a letter spells them, the surname a salutation uses,
 * and the plain-ASCII form of a name used in keys and file names. Shared by the template and
 * the covering email, so both say the same thing the same way.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

// Dates are calendar dates, not instants: parsing by hand keeps the time zone out of them.
function parseIsoDate(iso: string): CalendarDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`not a date written YYYY-MM-DD: ${iso}`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

function monthName(month: number): string {
  const name = MONTHS[month - 1];
  if (!name) throw new RangeError(`no such month: ${month}`);
  return name;
}

function dayNumber(d: CalendarDate): number {
  return Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;
}

/** "2011-03-09" → "9 March 2011". */
export function formatLongDate(iso: string): string {
  const d = parseIsoDate(iso);
  return `${d.day} ${monthName(d.month)} ${d.year}`;
}

/** "2010-03" → "March 2010". */
export function formatMonth(isoMonth: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(isoMonth);
  if (!m) throw new RangeError(`not a month written YYYY-MM: ${isoMonth}`);
  return `${monthName(Number(m[2]))} ${m[1]}`;
}

/**
 * A span of days as a letter writes it, naming each month and year only once where it can:
 * "8 February 2011", "8 and 9 February 2011", "7 to 9 February 2011",
 * "28 February and 1 March 2011", "28 February to 2 March 2011",
 * "31 December 2010 and 1 January 2011", "30 December 2010 to 2 January 2011".
 */
export function formatDateRange(startIso: string, endIso: string): string {
  const start = parseIsoDate(startIso);
  const end = parseIsoDate(endIso);
  const days = dayNumber(end) - dayNumber(start);
  if (days < 0) throw new RangeError(`date range ends before it starts: ${startIso} to ${endIso}`);
  if (days === 0) return formatLongDate(startIso);
  const joiner = days === 1 ? 'and' : 'to';
  const last = formatLongDate(endIso);
  if (start.year !== end.year) return `${formatLongDate(startIso)} ${joiner} ${last}`;
  if (start.month !== end.month) return `${start.day} ${monthName(start.month)} ${joiner} ${last}`;
  return `${start.day} ${joiner} ${last}`;
}

/** "on 8 and 9 February 2011", but "from 7 to 9 February 2011": "on 7 to 9" does not read. */
export function inspectionDatesPhrase(startIso: string, endIso: string): string {
  const range = formatDateRange(startIso, endIso);
  return `${/ to /.test(range) ? 'from' : 'on'} ${range}`;
}

// Lower-case particles belong to the surname: "Mr van der Berg", not "Mr Berg".
const SURNAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'du', 'la', 'le', 'ter', 'ten', 'bin', 'al', 'ap']);

/** The surname a salutation uses: the last word of the name with any particles before it. */
export function surnameOf(name: string): string {
  const words = name.trim().split(/\s+/);
  let first = words.length - 1;
  while (first > 1 && SURNAME_PARTICLES.has(words[first - 1])) first -= 1;
  return words.slice(first).join(' ');
}

/** How the letter greets its addressee: "Dear Mr van der Berg". */
export function salutationOf(person: { honorific: string; name: string }): string {
  return `Dear ${person.honorific} ${surnameOf(person.name)}`;
}

/** "Ynys Môn / Anglesey" → "ynys-mon-anglesey": a council's name in S3 keys and file names. */
export function councilSlug(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'council'
  );
}
