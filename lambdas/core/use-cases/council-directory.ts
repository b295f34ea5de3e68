import { actorRecord, type ActorRecord, SYSTEM } from '../actor';
import type { CouncilChange, CouncilDirectory, CouncilEntry, CouncilInput, CouncilPage } from '../council';
import { councilCode, councilNameKey } from '../council-name';
import { AppError, ForbiddenError, NotFoundError, PreconditionFailedError, PreconditionRequiredError, ValidationError } from '../errors';
import type { Actor, Role } from '../letter';
import { ConditionNotMetError, type Clock } from '../ports';

export interface CouncilContext {
  councils: CouncilDirectory;
  clock: Clock;
}

// Staff draft letters from the directory; only managers change where letters go.
const READERS_OF_DIRECTORY: readonly Role[] = ['inspector', 'manager'];
const EDITORS_OF_DIRECTORY: readonly Role[] = ['manager'];

function allow(actor: Actor, roles: readonly Role[], doing: string) {
  if (!roles.includes(actor.role)) throw new ForbiddenError(`The ${actor.role} role cannot ${doing} the council directory.`);
}

const notFound = (code: string) => new NotFoundError(`The council directory has no entry ${JSON.stringify(code)}.`);

export async function listCouncils(ctx: CouncilContext, actor: Actor, query: { limit: number; cursor?: string }): Promise<CouncilPage> {
  allow(actor, READERS_OF_DIRECTORY, 'read');
  return ctx.councils.list(query);
}

export async function getCouncil(ctx: CouncilContext, actor: Actor, code: string): Promise<CouncilEntry> {
  allow(actor, READERS_OF_DIRECTORY, 'read');
  const entry = await ctx.councils.get(code);
  if (!entry) throw notFound(code);
  return entry;
}

const FIELDS = ['name', 'director', 'chiefExecutive'] as const;

/**
 * Adds a council, or changes one.
 * 1. Check the role is a manager's and the code is the one the name gives.
 * 2. Without If-Match, add the entry on condition it does not exist yet (428 if it does).
 * 3. With If-Match, replace it on condition it is still at that version (412 if not), recording
 *    who changed which fields and when: that person may not approve letters created before.
 */
export async function putCouncil(
  ctx: CouncilContext,
  actor: Actor,
  code: string,
  input: CouncilInput,
  expectedVersion: number | undefined,
): Promise<{ entry: CouncilEntry; created: boolean }> {
  allow(actor, EDITORS_OF_DIRECTORY, 'change');
  if (councilCode(input.name) !== code) {
    throw new ValidationError([{ field: 'name', message: `must give the code ${JSON.stringify(code)}; this name gives ${JSON.stringify(councilCode(input.name))}` }]);
  }
  const at = ctx.clock.now().toISOString();
  const by = actorRecord(actor);
  if (expectedVersion === undefined) {
    const entry = newEntry(code, input, at, by);
    try {
      await ctx.councils.add(entry);
      return { entry, created: true };
    } catch (error) {
      if (error instanceof ConditionNotMetError) throw new PreconditionRequiredError();
      throw error;
    }
  }
  const current = await ctx.councils.get(code);
  if (!current) throw new AppError(412, 'Precondition failed', `There is no entry ${JSON.stringify(code)} to change; send no If-Match to add it.`, [
    { field: 'If-Match', message: 'must be left out to add an entry' },
  ]);
  if (current.version !== expectedVersion) throw new PreconditionFailedError(current.version);
  const fields = FIELDS.filter((f) => JSON.stringify(current[f]) !== JSON.stringify(input[f]));
  if (fields.length === 0) return { entry: current, created: false };
  const change: CouncilChange = { at, by, version: expectedVersion + 1, fields: [...fields] };
  try {
    const entry = await ctx.councils.replace({ ...current, ...input, version: change.version, updatedAt: at, updatedBy: by }, expectedVersion, change);
    return { entry, created: false };
  } catch (error) {
    if (!(error instanceof ConditionNotMetError)) throw error;
    const now = await ctx.councils.get(code);
    throw new PreconditionFailedError(now?.version ?? expectedVersion);
  }
}

function newEntry(code: string, input: CouncilInput, at: string, by: ActorRecord): CouncilEntry {
  return { code, ...input, version: 1, updatedAt: at, updatedBy: by, changes: [{ at, by, version: 1, fields: [...FIELDS] }] };
}

/**
 * Fills an empty directory from a list of entries, at first start. Entries already present are
 * left as they are: a directory that managers have maintained is never overwritten.
 */
export async function seedCouncils(ctx: CouncilContext, inputs: CouncilInput[]): Promise<number> {
  const { items } = await ctx.councils.list({ limit: 1 });
  if (items.length) return 0;
  const at = ctx.clock.now().toISOString();
  let added = 0;
  for (const input of inputs) {
    try {
      await ctx.councils.add(newEntry(councilCode(input.name), input, at, SYSTEM));
      added += 1;
    } catch (error) {
      if (!(error instanceof ConditionNotMetError)) throw error;
    }
  }
  return added;
}

/**
 * The directory entry a letter's `authority.name` names: the same name once normalised, case and
 * spacing aside. An unknown council is a 422 naming `authority.name`.
 */
export async function councilOfName(ctx: Pick<CouncilContext, 'councils'>, name: string): Promise<CouncilEntry> {
  const entry = await ctx.councils.get(councilCode(name));
  if (!entry || councilNameKey(entry.name) !== councilNameKey(name)) {
    throw new ValidationError([{ field: 'authority.name', message: 'must be a council in the council directory (GET /api/councils)' }]);
  }
  return entry;
}
