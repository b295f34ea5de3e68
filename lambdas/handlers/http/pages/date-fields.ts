import { capital, type FieldDef, type FormValues } from './form-fields';

// Dates: GOV.UK date inputs, three boxes each (two for a month), read back into ISO dates.

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthNumber(raw: string): number | undefined {
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const i = MONTH_NAMES.indexOf(raw.slice(0, 3).toLowerCase());
  const full = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'][i];
  return i >= 0 && full?.startsWith(raw.toLowerCase()) ? i + 1 : undefined;
}

export interface DateReading {
  iso?: string;
  error?: string;
  /** The boxes to mark red: only the missing ones when some are missing. */
  parts?: ('day' | 'month' | 'year')[];
}

export function readDate(values: FormValues, def: Pick<FieldDef, 'id' | 'kind' | 'noun'>): DateReading {
  const withDay = def.kind === 'date';
  const names = (withDay ? ['day', 'month', 'year'] : ['month', 'year']) as ('day' | 'month' | 'year')[];
  const raw = Object.fromEntries(names.map((n) => [n, (values[`${def.id}-${n}`] ?? '').trim()])) as Record<string, string>;
  const missing = names.filter((n) => raw[n] === '');
  if (missing.length === names.length) return { error: `Enter ${def.noun}`, parts: names };
  if (missing.length) {
    return { error: `${capital(def.noun)} must include a ${missing.join(' and a ')}`, parts: missing };
  }
  const day = withDay ? (/^\d{1,2}$/.test(raw.day!) ? Number(raw.day) : NaN) : 1;
  const month = monthNumber(raw.month!) ?? NaN;
  if (!/^\d{4}$/.test(raw.year!)) {
    // A day that no year has (31 2) is the bigger mistake: say so with the year's.
    const leap = new Date(Date.UTC(2000, month - 1, day));
    if (/^\d+$/.test(raw.year!) && (Number.isNaN(leap.getTime()) || leap.getUTCMonth() !== month - 1 || leap.getUTCDate() !== day)) {
      return { error: `${capital(def.noun)} must be a real date, and its year must include 4 numbers`, parts: names };
    }
    return /^\d+$/.test(raw.year!)
      ? { error: `The year of ${def.noun} must include 4 numbers`, parts: ['year'] }
      : { error: `${capital(def.noun)} must be a real date`, parts: names };
  }
  const year = Number(raw.year);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(date.getTime()) || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { error: `${capital(def.noun)} must be a real date`, parts: names };
  }
  const iso = date.toISOString().slice(0, withDay ? 10 : 7);
  return { iso };
}

/** The boxes of a date input filled from an ISO date or month. */
export function dateValues(id: string, iso: string | undefined, withDay: boolean): FormValues {
  const m = iso ? /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(iso) : null;
  if (!m) return {};
  return {
    ...(withDay ? { [`${id}-day`]: String(Number(m[3])) } : {}),
    [`${id}-month`]: String(Number(m[2])),
    [`${id}-year`]: m[1]!,
  };
}
