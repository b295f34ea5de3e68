import { ConflictError, ValidationError } from '../errors';
import { type Actor, type Finding, findingBytes, type Letter, newDraft, orderedFindings, placesAfterMove } from '../letter';
import { dateRuleIssues, type FindingInput, type FindingPatch, LIMITS, type LetterBody, type LetterPatch } from '../letter-schema';
import { check } from '../transitions';
import { actorRecord } from '../actor';
import { authorise, entry, findingOf, type LetterContext, loadLetter, writeOrExplain } from './context';
import { addressedFacts, overrideNote, type RecipientsContext, withRecipients } from './letter-recipients';

/**
 * Creates a draft.
 * 1. Check the role may create letters.
 * 2. Find the council in the directory and check the recipients against it and the configured DfE.
 * 3. Give the letter and each finding an id.
 * 4. Store it at version 1 with its first history entry.
 */
export async function createLetter(ctx: LetterContext & RecipientsContext, actor: Actor, input: LetterBody): Promise<Letter> {
  authorise(actor, 'create');
  const { findings, recipients: given, ...rest } = input;
  const at = ctx.clock.now().toISOString();
  const { facts, recipientOverride, entry: council } = await addressedFacts(ctx, actor, actorRecord(actor), at, rest, given);
  const created = entry(ctx, actor, 'created', overrideNote(undefined, recipientOverride, council));
  const letter = newDraft({ id: ctx.ids.next(), actor, created, facts, findings, findingId: () => ctx.ids.next(), recipientOverride });
  await ctx.letters.create(letter);
  return withRecipients(ctx, letter, council);
}

/**
 * Changes a draft's facts.
 * 1. Check the role, the letter's state and the version the editor read.
 * 2. Merge the changed fields and check the dates still agree.
 * 3. Write on condition that nobody changed the letter since.
 */
export async function updateLetter(
  ctx: LetterContext & RecipientsContext,
  actor: Actor,
  id: string,
  version: number,
  patch: LetterPatch,
): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version, { actor });
  const { recipients: given, ...changes } = patch;
  const { recipients: _stored, ...merged } = { ...letter.facts, ...changes };
  const problems = dateRuleIssues(merged);
  if (problems.length) {
    throw new ValidationError(problems.map((p) => ({ field: p.path.join('.'), message: p.message })));
  }
  // A change of council leaves behind any override made for the old one.
  const sameCouncil = !changes.authority || changes.authority.name === letter.facts.authority.name;
  const current = sameCouncil ? letter.recipientOverride : undefined;
  const at = ctx.clock.now().toISOString();
  const { facts, recipientOverride, entry: council } = await addressedFacts(ctx, actor, actorRecord(actor), at, merged, given, current);
  const changed = [Object.keys(patch).join(', '), overrideNote(letter.recipientOverride, recipientOverride, council)].filter(Boolean).join('; ');
  const edited = { ...entry(ctx, actor, 'edited', changed), version: version + 1 };
  const updated = await writeOrExplain(ctx, id, 'edit', { version, actor }, (guard) =>
    ctx.letters.replaceFacts(id, guard, facts, edited, recipientOverride),
  );
  return withRecipients(ctx, updated, council);
}

const LIMITS_OF_FINDINGS = { findings: LIMITS.findings, bytes: LIMITS.findingsBytes };

/** The letter's findings must stay within their byte budget once `delta` bytes are added. */
function withinBudget(delta: number) {
  return (letter: Pick<Letter, 'findingsBytes'>) => {
    if (delta > 0 && letter.findingsBytes + delta > LIMITS.findingsBytes) {
      throw new ValidationError([
        {
          field: 'findings',
          message: `would take the letter's findings past ${LIMITS.findingsBytes} bytes of text in all (UTF-8); they hold ${letter.findingsBytes}`,
        },
      ]);
    }
  };
}

/**
 * Adds a finding. Needs no version: several inspectors may add findings at once and all land.
 * 1. Check the role and that the letter is a draft with room for another finding.
 * 2. Add it in one conditional write that leaves other findings alone and holds the count and
 *    the byte budget, so no interleaving of requests can overfill the letter.
 */
export async function addFinding(ctx: LetterContext, actor: Actor, id: string, input: FindingInput): Promise<{ letter: Letter; finding: Finding }> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', undefined, { actor });
  const tooMany = (l: Letter) => {
    if (l.findings.length >= LIMITS.findings) throw new ConflictError(`The letter already has ${LIMITS.findings} findings, the most it can hold.`);
  };
  tooMany(letter);
  const finding: Finding = { id: ctx.ids.next(), ...input };
  const fits = withinBudget(findingBytes(finding));
  fits(letter);
  const added = entry(ctx, actor, 'finding-added', `${finding.category} ${finding.id}`);
  const updated = await writeOrExplain(ctx, id, 'edit', { actor, holds: (now) => (tooMany(now), fits(now)) }, (guard) =>
    ctx.letters.addFinding(id, guard, finding, LIMITS_OF_FINDINGS, added),
  );
  return { letter: updated, finding };
}

/**
 * Adds several findings at once, in the order given, after those the letter has: all or none.
 * 1. Check the role and that the letter is a draft with room for them all.
 * 2. Add them in one conditional write that holds the count.
 */
export async function addFindings(ctx: LetterContext, actor: Actor, id: string, inputs: FindingInput[]): Promise<{ letter: Letter; findings: Finding[] }> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', undefined, { actor });
  const room = (l: Letter) => {
    if (l.findings.length + inputs.length > LIMITS.findings) {
      throw new ConflictError(`The letter has ${l.findings.length} findings; ${inputs.length} more would pass ${LIMITS.findings}, the most it can hold.`);
    }
  };
  room(letter);
  const findings: Finding[] = inputs.map((input) => ({ id: ctx.ids.next(), ...input }));
  const fits = withinBudget(findings.reduce((n, f) => n + findingBytes(f), 0));
  fits(letter);
  const added = entry(ctx, actor, 'finding-added', findings.map((f) => `${f.category} ${f.id}`).join(', '));
  const updated = await writeOrExplain(ctx, id, 'edit', { actor, holds: (now) => (room(now), fits(now)) }, (guard) =>
    ctx.letters.addFindings(id, guard, findings, LIMITS_OF_FINDINGS, added),
  );
  return { letter: updated, findings };
}

/**
 * Moves a finding in front of another of its category, or to its end (`before` null).
 * 1. Check the role, that the letter is a draft at the version read, and both findings.
 * 2. Number the category's findings in their new order, in one write at that version.
 */
export async function moveFinding(ctx: LetterContext, actor: Actor, id: string, findingId: string, version: number, before: string | null): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version, { actor });
  const moving = findingOf(letter, findingId);
  if (before !== null) {
    const target = letter.findings.find((f) => f.id === before);
    if (!target || target.category !== moving.category || target.id === moving.id) {
      throw new ValidationError([{ field: 'before', message: `must be the id of another ${moving.category} finding of this letter, or null` }]);
    }
  }
  const places = placesAfterMove(letter.findings, moving, before);
  const moved = entry(ctx, actor, 'finding-moved', findingId);
  return writeOrExplain(ctx, id, 'edit', { version, findingId, actor }, (guard) => ctx.letters.placeFindings(id, guard, places, moved));
}

/** Edits one finding at the version the editor read (If-Match), within the byte budget. */
export async function updateFinding(
  ctx: LetterContext,
  actor: Actor,
  id: string,
  findingId: string,
  version: number,
  patch: FindingPatch,
): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version, { actor });
  const previous = findingOf(letter, findingId);
  const finding = { ...previous, ...patch };
  const fits = withinBudget(findingBytes(finding) - findingBytes(previous));
  fits(letter);
  // The record says which finding changed, as the letter numbers it, and what it said before.
  const number = orderedFindings(letter.findings).filter((f) => f.category === previous.category).findIndex((f) => f.id === findingId) + 1;
  const change = { category: previous.category, number, before: previous.text, after: finding.text };
  const edited = { ...entry(ctx, actor, 'finding-edited', findingId), change };
  return writeOrExplain(ctx, id, 'edit', { version, findingId, actor, holds: fits }, (guard) =>
    ctx.letters.replaceFinding(id, guard, finding, previous, LIMITS_OF_FINDINGS, edited),
  );
}

/** Removes one finding at the version the editor read (If-Match). */
export async function removeFinding(ctx: LetterContext, actor: Actor, id: string, findingId: string, version: number): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version, { actor });
  const removed = findingOf(letter, findingId);
  const entryOf = entry(ctx, actor, 'finding-removed', findingId);
  return writeOrExplain(ctx, id, 'edit', { version, findingId, actor }, (guard) => ctx.letters.removeFinding(id, guard, removed, entryOf));
}
