import type { ActorRecord } from './actor';
import type { CouncilEntry } from './council';
import { formatLongDate } from './letter-text';

/**
 * Four eyes: the manager who approves a letter is not its author. Not its creator, not anyone who
 * changed its content or addresses or submitted it, and not whoever changed its council's
 * directory entry after it was created (that would let one person choose where a letter goes and
 * send it). People are compared by subject id, never by display name.
 */

/** What four eyes needs to know of a letter. */
export interface LetterAuthorship {
  createdAt: string;
  createdBy: ActorRecord;
  /** Subject ids of everyone who changed the content or addresses, or submitted it; the creator included. */
  contributors?: string[];
}

/** Why this person may not approve the letter, in words for them; undefined when they may. */
export function fourEyesRefusal(letter: LetterAuthorship, who: { sub: string }, council?: Pick<CouncilEntry, 'name' | 'changes'>): string | undefined {
  const another = 'Another manager must approve it: a letter is never approved by someone who wrote it.';
  if (letter.createdBy.sub === who.sub) return `You created this letter. ${another}`;
  if (letter.contributors?.includes(who.sub)) return `You changed this letter’s content or addresses, or submitted it. ${another}`;
  const change = directoryChangeBy(council, letter.createdAt, who.sub);
  if (change && council) {
    return `You changed ${council.name}’s entry in the council directory on ${formatLongDate(change.at.slice(0, 10))}, after this letter was created, so you chose where it goes. ${another}`;
  }
  return undefined;
}

/** The latest change to the council's entry made by this person after the letter was created. */
export function directoryChangeBy(council: Pick<CouncilEntry, 'changes'> | undefined, since: string, sub: string) {
  return [...(council?.changes ?? [])].reverse().find((c) => c.at > since && c.by.sub === sub);
}
