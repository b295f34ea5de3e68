import type { ActorRecord } from '../actor';
import type { CouncilDirectory, CouncilEntry } from '../council';
import { councilCode } from '../council-name';
import type { Actor, Letter } from '../letter';
import type { DfeRecipient, DraftFacts, RecipientsInput } from '../letter-schema';
import { addressDifferences, checkRecipients, currentRecipients, type RecipientOverride } from '../recipients';
import { councilOfName } from './council-directory';

/** What drafting and approving need to know where a letter goes. */
export interface RecipientsContext {
  councils: CouncilDirectory;
  /** The Department for Education's copy goes here and nowhere else. */
  dfe: DfeRecipient;
}

const stampOf = (entry: CouncilEntry) => ({
  code: entry.code,
  version: entry.version,
  updatedAt: entry.updatedAt,
  updatedBy: entry.updatedBy,
  changes: entry.changes,
});

/**
 * The facts a draft is stored with, and its override, from what a body gives: the council found
 * by name in the directory (its own spelling of the name kept), and the recipients checked
 * against the directory and the configuration.
 */
export async function addressedFacts(
  ctx: RecipientsContext,
  actor: Actor,
  by: ActorRecord,
  at: string,
  facts: Omit<DraftFacts, 'recipients'>,
  given: RecipientsInput | undefined,
  current?: RecipientOverride,
): Promise<{ facts: DraftFacts; recipientOverride: RecipientOverride | undefined; entry: CouncilEntry }> {
  const entry = await councilOfName(ctx, facts.authority.name);
  const recipientOverride = checkRecipients({ given, entry, dfe: ctx.dfe, actor, by, at, current });
  return {
    facts: { ...facts, authority: { name: entry.name }, recipients: currentRecipients(entry, recipientOverride, ctx.dfe) },
    recipientOverride,
    entry,
  };
}

/** How a change's history entry tells of recipients that differ from the directory. */
export function overrideNote(before: RecipientOverride | undefined, after: RecipientOverride | undefined, entry: CouncilEntry): string | undefined {
  if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return undefined;
  if (!after) return 'recipients as in the council directory';
  const fields = addressDifferences(entry, {
    director: after.director ?? entry.director,
    chiefExecutive: after.chiefExecutive ?? entry.chiefExecutive,
  }).map((d) => d.field);
  return `recipients differ from the council directory in ${fields.join(', ')}; reason: ${after.reason}`;
}

/**
 * The letter as people read it. Before approval its recipients are the council's entry as it is
 * now, with any override, and every difference listed; from approval on they are the frozen ones,
 * with the differences recorded then. `read` is the council's entry when the request has just
 * read it (null: it has none), so that one request reads it once.
 */
export async function withRecipients(ctx: RecipientsContext, letter: Letter, read?: CouncilEntry | null): Promise<Letter> {
  if (letter.approval) {
    return { ...letter, addressDifferences: letter.approval.addressDifferences ?? [] };
  }
  const entry = read === undefined ? await ctx.councils.get(councilCode(letter.facts.authority.name)) : read;
  if (!entry) return { ...letter, addressDifferences: [] };
  const recipients = currentRecipients(entry, letter.recipientOverride, ctx.dfe);
  return {
    ...letter,
    facts: { ...letter.facts, recipients },
    addressDifferences: addressDifferences(entry, recipients),
    council: stampOf(entry),
  };
}

/** The council entry a letter's recipients come from, for approval; undefined if it has none. */
export async function councilOfLetter(ctx: RecipientsContext, letter: Letter): Promise<CouncilEntry | undefined> {
  return ctx.councils.get(councilCode(letter.facts.authority.name));
}
