import type { ActorRecord } from './actor';
import type { CouncilEntry } from './council';
import { type FieldProblem, ValidationError } from './errors';
import type { Actor } from './letter';
import type { ChiefExecutiveRecipient, DfeRecipient, DirectorRecipient, Recipients, RecipientsInput } from './letter-schema';

/**
 * Where a letter goes. The director and the chief executive come from the council's directory
 * entry and the DfE copy from configuration. Only a manager may send a letter's copies elsewhere,
 * and only with a reason; every such difference is listed on the letter and on its approval.
 */

/** One field in which a letter's recipients differ from the council directory. */
export interface AddressDifference {
  field: string;
  directory: string;
  letter: string;
}

/** A manager's recipients that differ from the directory, with why and who set them. */
export interface RecipientOverride {
  director?: DirectorRecipient;
  chiefExecutive?: ChiefExecutiveRecipient;
  reason: string;
  by: ActorRecord;
  at: string;
}

type CouncilRecipients = Pick<CouncilEntry, 'director' | 'chiefExecutive'>;

const DIRECTOR_FIELDS = ['honorific', 'name', 'jobTitle', 'organisation', 'address', 'email'] as const;
const CHIEF_FIELDS = ['name', 'jobTitle', 'organisation', 'email'] as const;
const DFE_FIELDS = ['name', 'organisation', 'email'] as const;

const shown = (value: string | string[]) => (Array.isArray(value) ? value.join(', ') : value);
// Email addresses are compared as mail servers treat the domain and as people type them.
const same = (field: string, a: string | string[], b: string | string[]) =>
  field === 'email' ? String(a).toLowerCase() === String(b).toLowerCase() : JSON.stringify(a) === JSON.stringify(b);

function compare<T extends Record<string, string | string[]>>(path: string, fields: readonly (keyof T & string)[], directory: T, letter: T) {
  return fields
    .filter((f) => !same(f, directory[f], letter[f]))
    .map((f): AddressDifference => ({ field: `${path}.${f}`, directory: shown(directory[f]), letter: shown(letter[f]) }));
}

/** Every field in which the letter's director and chief executive differ from the directory's. */
export function addressDifferences(entry: CouncilRecipients, recipients: CouncilRecipients): AddressDifference[] {
  return [
    ...compare('recipients.director', DIRECTOR_FIELDS, entry.director, recipients.director),
    ...compare('recipients.chiefExecutive', CHIEF_FIELDS, entry.chiefExecutive, recipients.chiefExecutive),
  ];
}

/** The recipients a letter goes to now: the directory's, a manager's override where there is one, and the configured DfE. */
export function currentRecipients(entry: CouncilRecipients, override: RecipientOverride | undefined, dfe: DfeRecipient): Recipients {
  return {
    director: override?.director ?? entry.director,
    chiefExecutive: override?.chiefExecutive ?? entry.chiefExecutive,
    dfe,
  };
}

const sameBlock = (a: unknown, b: unknown) => a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);

/**
 * Checks the recipients a body gives against the directory and the configuration, and returns
 * the override the letter keeps (undefined: none).
 * - The DfE copy must be the configured one, field for field.
 * - An inspector's director and chief executive must be the directory's, or what the letter
 *   already has; any other field is refused, naming each one.
 * - A manager's may differ, with a `reason`.
 * Left out, a recipient stays as the letter has it.
 */
export function checkRecipients(options: {
  given: RecipientsInput | undefined;
  entry: CouncilRecipients;
  dfe: DfeRecipient;
  actor: Actor;
  by: ActorRecord;
  at: string;
  current?: RecipientOverride;
}): RecipientOverride | undefined {
  const { given, entry, dfe, actor, current } = options;
  if (!given) return current;
  const problems: FieldProblem[] = [];
  for (const d of given.dfe ? compare('recipients.dfe', DFE_FIELDS, dfe, given.dfe) : []) {
    problems.push({ field: d.field, message: `must be the Department for Education's configured ${d.field.split('.').pop()}, ${JSON.stringify(d.directory)}` });
  }
  const next: Pick<RecipientOverride, 'director' | 'chiefExecutive'> = { director: current?.director, chiefExecutive: current?.chiefExecutive };
  let changed = false;
  const take = <K extends 'director' | 'chiefExecutive'>(role: K, differences: AddressDifference[]) => {
    const block = given[role];
    if (!block) return;
    if (differences.length === 0) {
      changed ||= next[role] !== undefined;
      next[role] = undefined;
    } else if (!sameBlock(block, current?.[role])) {
      if (actor.role !== 'manager') {
        for (const d of differences) {
          problems.push({ field: d.field, message: `must be the council directory's, ${JSON.stringify(d.directory)}: only a manager can send a letter elsewhere, with a reason` });
        }
      }
      next[role] = block as RecipientOverride[K];
      changed = true;
    }
  };
  take('director', given.director ? compare('recipients.director', DIRECTOR_FIELDS, entry.director, given.director) : []);
  take('chiefExecutive', given.chiefExecutive ? compare('recipients.chiefExecutive', CHIEF_FIELDS, entry.chiefExecutive, given.chiefExecutive) : []);
  const overridden = Boolean(next.director || next.chiefExecutive);
  const reason = given.reason ?? (changed ? undefined : current?.reason);
  if (actor.role === 'manager' && overridden && !reason) {
    problems.push({ field: 'recipients.reason', message: 'is required when the recipients differ from the council directory' });
  }
  if (problems.length) throw new ValidationError(problems, 'The recipients must be the council directory’s and the configured DfE address.');
  if (!overridden) return undefined;
  if (!changed && !given.reason) return current;
  return {
    ...(next.director ? { director: next.director } : {}),
    ...(next.chiefExecutive ? { chiefExecutive: next.chiefExecutive } : {}),
    reason: reason!,
    by: options.by,
    at: options.at,
  };
}
