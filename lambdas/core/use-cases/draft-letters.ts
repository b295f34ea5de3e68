import { ConflictError, ValidationError } from '../errors';
import type { Actor, Finding, Letter } from '../letter';
import { dateRuleIssues, type FindingInput, type FindingPatch, LIMITS, type LetterInput, type LetterPatch } from '../letter-schema';
import { check } from '../transitions';
import { authorise, entry, findingOf, type LetterContext, loadLetter, writeOrExplain } from './context';

/**
 * Creates a draft.
 * 1. Check the role may create letters.
 * 2. Give the letter and each finding an id.
 * 3. Store it at version 1 with its first history entry.
 */
export async function createLetter(ctx: LetterContext, actor: Actor, input: LetterInput): Promise<Letter> {
  authorise(actor, 'create');
  const { findings, ...facts } = input;
  const created = entry(ctx, actor, 'created');
  const letter: Letter = {
    id: ctx.ids.next(),
    status: 'draft',
    version: 1,
    createdAt: created.at,
    updatedAt: created.at,
    createdBy: actor.name,
    facts,
    findings: findings.map((f) => ({ id: ctx.ids.next(), ...f })),
    history: [{ ...created, version: 1 }],
  };
  await ctx.letters.create(letter);
  return letter;
}

/**
 * Changes a draft's facts.
 * 1. Check the role, the letter's state and the version the editor read.
 * 2. Merge the changed fields and check the dates still agree.
 * 3. Write on condition that nobody changed the letter since.
 */
export async function updateLetter(ctx: LetterContext, actor: Actor, id: string, version: number, patch: LetterPatch): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version);
  const facts = { ...letter.facts, ...patch };
  const problems = dateRuleIssues(facts);
  if (problems.length) {
    throw new ValidationError(problems.map((p) => ({ field: p.path.join('.'), message: p.message })));
  }
  const edited = { ...entry(ctx, actor, 'edited', Object.keys(patch).join(', ')), version: version + 1 };
  return writeOrExplain(ctx, id, 'edit', { version }, (guard) => ctx.letters.replaceFacts(id, guard, facts, edited));
}

function checkTotalText(findings: Finding[]) {
  const total = findings.reduce((n, f) => n + f.text.length, 0);
  if (total > LIMITS.findingsTotalText) {
    throw new ValidationError([
      { field: 'text', message: `would take the letter's findings past ${LIMITS.findingsTotalText} characters in all` },
    ]);
  }
}

/**
 * Adds a finding. Needs no version: several inspectors may add findings at once and all land.
 * 1. Check the role and that the letter is a draft with room for another finding.
 * 2. Add it in one conditional write that leaves other findings alone and holds the count.
 */
export async function addFinding(ctx: LetterContext, actor: Actor, id: string, input: FindingInput): Promise<{ letter: Letter; finding: Finding }> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit');
  if (letter.findings.length >= LIMITS.findings) {
    throw new ConflictError(`The letter already has ${LIMITS.findings} findings, the most it can hold.`);
  }
  const finding: Finding = { id: ctx.ids.next(), ...input };
  checkTotalText([...letter.findings, finding]);
  const added = entry(ctx, actor, 'finding-added', `${finding.category} ${finding.id}`);
  const updated = await writeOrExplain(ctx, id, 'edit', {}, (guard) => ctx.letters.addFinding(id, guard, finding, LIMITS.findings, added));
  return { letter: updated, finding };
}

/** Edits one finding; If-Match is optional here, since edits of other findings do not collide. */
export async function updateFinding(
  ctx: LetterContext,
  actor: Actor,
  id: string,
  findingId: string,
  version: number | undefined,
  patch: FindingPatch,
): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version);
  const finding = { ...findingOf(letter, findingId), ...patch };
  checkTotalText(letter.findings.map((f) => (f.id === findingId ? finding : f)));
  const edited = entry(ctx, actor, 'finding-edited', findingId);
  return writeOrExplain(ctx, id, 'edit', { version, findingId }, (guard) => ctx.letters.replaceFinding(id, guard, finding, edited));
}

/** Removes one finding; If-Match is optional, as for edits. */
export async function removeFinding(ctx: LetterContext, actor: Actor, id: string, findingId: string, version: number | undefined): Promise<Letter> {
  authorise(actor, 'edit');
  const letter = await loadLetter(ctx, id);
  check(letter, 'edit', version);
  findingOf(letter, findingId);
  const removed = entry(ctx, actor, 'finding-removed', findingId);
  return writeOrExplain(ctx, id, 'edit', { version, findingId }, (guard) => ctx.letters.removeFinding(id, guard, findingId, removed));
}
