import type { Hono } from 'hono';
import { ForbiddenError, NotFoundError, PreconditionFailedError, ValidationError } from '../../../core/errors';
import type { Letter } from '../../../core/letter';
import { LIMITS } from '../../../core/letter-schema';
import { can } from '../../../core/roles';
import { addFinding, addFindings, createLetter, moveFinding, removeFinding, updateFinding, updateLetter } from '../../../core/use-cases/draft-letters';
import { getLetter } from '../../../core/use-cases/read-letters';
import { submitLetter } from '../../../core/use-cases/review-letters';
import { idParam } from '../request';
import { CATEGORY_LABELS, FINDING_FIELDS, isCategory, moveTarget, parseFindingForm, parsePastedFindings } from './finding-form';
import { setFlash, takeFlash } from './flash';
import { flashMessage } from './letter-page';
import { addProblems, FormErrors, type FormValues, versionOf } from './form-fields';
import { changedFacts, formFromFacts, LETTER_FIELDS, LETTER_SECTIONS, parseLetterForm } from './letter-form';
import type { PageContext, PageEnv, PageKit } from './page-kit';

const redirectToLetter = (c: PageContext, id: string) => c.redirect(`/letters/${id}`, 303);

/** Drafting: creating a letter, changing its facts, adding, changing and removing findings, submitting it. */
export function draftingPages(pages: Hono<PageEnv>, kit: PageKit) {
  const { deps } = kit;

  // ----- The letter's facts -------------------------------------------------------------------

  const letterForm = (c: PageContext, data: { values: FormValues; errors?: FormErrors; letter?: Letter; conflict?: boolean }, status = 200) =>
    kit.render(c, 'letter-form.njk', {
      title: data.letter ? 'Change the letter’s details' : 'Create a letter',
      sections: LETTER_SECTIONS,
      action: data.letter ? `/letters/${data.letter.id}/edit` : '/letters/new',
      ...data,
    }, status);

  pages.get('/letters/new', (c) => {
    const { role } = c.get('actor');
    if (!can(role, 'create')) throw new ForbiddenError(`The ${role} role cannot create letters.`);
    return letterForm(c, { values: {} });
  });

  pages.post('/letters/new', async (c) => {
    const values = c.get('form');
    const { facts, errors } = parseLetterForm(values);
    if (!facts) return letterForm(c, { values, errors }, 422);
    try {
      const letter = await createLetter(deps, c.get('actor'), { ...facts, findings: [] });
      setFlash(c, 'created');
      return c.redirect(`/letters/${letter.id}`, 303);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      addProblems(errors, error.fields, LETTER_FIELDS, 'authority-name');
      return letterForm(c, { values, errors }, 422);
    }
  });

  pages.get('/letters/:id/edit', async (c) => {
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    if (letter.status !== 'draft') return redirectToLetter(c, letter.id);
    return letterForm(c, { values: { ...formFromFacts(letter.facts), version: String(letter.version) }, letter });
  });

  pages.post('/letters/:id/edit', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const current = await getLetter(deps, c.get('actor'), id);
    const { facts, errors } = parseLetterForm(values);
    if (!facts) return letterForm(c, { values, errors, letter: current }, 422);
    const patch = changedFacts(current.facts, facts);
    if (Object.keys(patch).length === 0) {
      setFlash(c, 'unchanged');
      return redirectToLetter(c, id);
    }
    try {
      await updateLetter(deps, c.get('actor'), id, versionOf(values) ?? 0, patch);
      setFlash(c, 'saved');
      return redirectToLetter(c, id);
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        // Someone saved the letter since this form was opened: keep what this person typed, tell
        // them, and let a second save (now at the current version) replace the other change.
        errors.add(
          'form',
          `Someone else changed this letter while you were editing it. Your changes have not been saved yet. Check them and save again to replace the other changes, or open the letter to see them.`,
          `/letters/${id}`,
        );
        return letterForm(c, { values: { ...values, version: String(current.version) }, errors, letter: current, conflict: true }, 409);
      }
      if (error instanceof ValidationError) {
        addProblems(errors, error.fields, LETTER_FIELDS, 'authority-name');
        return letterForm(c, { values, errors, letter: current }, 422);
      }
      return kit.actionFailed(c, id, error);
    }
  });

  // ----- Findings -----------------------------------------------------------------------------

  const findingForm = (c: PageContext, letter: Letter, data: { values: FormValues; errors?: FormErrors; findingId?: string; flash?: string }, status = 200) => {
    const category = isCategory(data.values.category) ? data.values.category : undefined;
    return kit.render(c, 'finding-form.njk', {
      title: data.findingId ? `Change ${category ? CATEGORY_LABELS[category].one.toLowerCase() : 'a finding'}` : category ? CATEGORY_LABELS[category].add : 'Add a finding',
      letter,
      maxlength: LIMITS.findingText,
      action: data.findingId ? `/letters/${letter.id}/findings/${data.findingId}/edit` : `/letters/${letter.id}/findings/new`,
      ...data,
    }, status);
  };

  const findingOf = (letter: Letter, findingId: string) => {
    const finding = letter.findings.find((f) => f.id === findingId);
    if (!finding) throw new NotFoundError(`The letter has no finding with the id ${JSON.stringify(findingId)}.`);
    return finding;
  };

  /** The letter, and whether this person may still change its findings. */
  const editableLetter = async (c: PageContext) => {
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    return { letter, editable: letter.status === 'draft' && can(c.get('actor').role, 'edit') };
  };

  /** Back on the letter at the finding itself, so the person sees what they did where they did it. */
  const toFinding = (c: PageContext, id: string, findingId: string, flash: string) => {
    setFlash(c, flash);
    return c.redirect(`/letters/${id}#finding-${findingId}`, 303);
  };

  pages.get('/letters/:id/findings/new', async (c) => {
    const { letter, editable } = await editableLetter(c);
    if (!editable) return redirectToLetter(c, letter.id);
    // After "Save and add another": say the last one was added.
    const flash = flashMessage(takeFlash(c), letter);
    return findingForm(c, letter, { values: { category: c.req.query('category') ?? '' }, flash });
  });

  pages.post('/letters/:id/findings/new', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const { finding, errors } = parseFindingForm(values);
    if (!finding) return findingForm(c, await getLetter(deps, c.get('actor'), id), { values, errors }, 422);
    try {
      const { finding: added } = await addFinding(deps, c.get('actor'), id, finding);
      if (values.then === 'another') {
        // "Save and add another" keeps the category: the next finding is usually of the same kind.
        setFlash(c, 'finding-added');
        return c.redirect(`/letters/${id}/findings/new?category=${finding.category}`, 303);
      }
      return toFinding(c, id, added.id, 'finding-added');
    } catch (error) {
      if (!(error instanceof ValidationError)) return kit.actionFailed(c, id, error);
      addProblems(errors, error.fields, FINDING_FIELDS, 'text');
      return findingForm(c, await getLetter(deps, c.get('actor'), id), { values, errors }, 422);
    }
  });

  const pasteForm = (c: PageContext, letter: Letter, values: FormValues, errors?: FormErrors, status = 200) => {
    const category = isCategory(values.category) ? values.category : 'strength';
    return kit.render(c, 'finding-paste.njk', {
      title: CATEGORY_LABELS[category].paste,
      letter,
      category,
      labels: CATEGORY_LABELS[category],
      values,
      errors,
      maxlength: LIMITS.findingText,
    }, status);
  };

  pages.get('/letters/:id/findings/paste', async (c) => {
    const { letter, editable } = await editableLetter(c);
    if (!editable) return redirectToLetter(c, letter.id);
    return pasteForm(c, letter, { category: c.req.query('category') ?? '' });
  });

  pages.post('/letters/:id/findings/paste', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const { findings, errors } = parsePastedFindings(values);
    if (!findings) return pasteForm(c, await getLetter(deps, c.get('actor'), id), values, errors, 422);
    try {
      await addFindings(deps, c.get('actor'), id, findings);
    } catch (error) {
      if (!(error instanceof ValidationError)) return kit.actionFailed(c, id, error);
      for (const problem of error.fields) {
        const index = /\[(\d+)\]/.exec(problem.field)?.[1];
        errors.add('findings', index === undefined ? `The findings ${problem.message}` : `Finding ${Number(index) + 1} ${problem.message}`);
      }
      return pasteForm(c, await getLetter(deps, c.get('actor'), id), values, errors, 422);
    }
    setFlash(c, 'findings-added', findings.length);
    return c.redirect(`/letters/${id}#${findings[0]!.category}`, 303);
  });

  pages.get('/letters/:id/findings/:findingId/edit', async (c) => {
    const { letter, editable } = await editableLetter(c);
    const finding = findingOf(letter, idParam(c, 'findingId'));
    if (!editable) return redirectToLetter(c, letter.id);
    return findingForm(c, letter, { values: { category: finding.category, text: finding.text, version: String(letter.version) }, findingId: finding.id });
  });

  /**
   * Someone changed the letter since this page was opened: say so, keep what this person
   * typed, and carry the current version so that a second save replaces the other change.
   */
  const conflict = (errors: FormErrors, id: string, what: string) =>
    errors.add(
      'form',
      `Someone else changed this letter while you were ${what}. Nothing has been saved yet. Check the letter, then try again to go ahead anyway.`,
      `/letters/${id}`,
    );

  pages.post('/letters/:id/findings/:findingId/edit', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    const values = c.get('form');
    const { finding, errors } = parseFindingForm(values);
    if (!finding) return findingForm(c, await getLetter(deps, c.get('actor'), id), { values, errors, findingId }, 422);
    try {
      await updateFinding(deps, c.get('actor'), id, findingId, versionOf(values) ?? 0, finding);
      return toFinding(c, id, findingId, 'finding-saved');
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        const current = await getLetter(deps, c.get('actor'), id);
        findingOf(current, findingId);
        conflict(errors, id, 'changing this finding');
        return findingForm(c, current, { values: { ...values, version: String(current.version) }, errors, findingId }, 409);
      }
      if (!(error instanceof ValidationError)) return kit.actionFailed(c, id, error);
      addProblems(errors, error.fields, FINDING_FIELDS, 'text');
      return findingForm(c, await getLetter(deps, c.get('actor'), id), { values, errors, findingId }, 422);
    }
  });

  pages.get('/letters/:id/findings/:findingId/remove', async (c) => {
    const { letter, editable } = await editableLetter(c);
    const finding = findingOf(letter, idParam(c, 'findingId'));
    if (!editable) return redirectToLetter(c, letter.id);
    return kit.render(c, 'finding-remove.njk', { title: 'Remove this finding?', letter, finding, version: letter.version });
  });

  pages.post('/letters/:id/findings/:findingId/remove', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    let category = 'findings';
    try {
      const before = await getLetter(deps, c.get('actor'), id);
      category = before.findings.find((f) => f.id === findingId)?.category ?? category;
      await removeFinding(deps, c.get('actor'), id, findingId, versionOf(c.get('form')) ?? 0);
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        const current = await getLetter(deps, c.get('actor'), id);
        const finding = findingOf(current, findingId);
        const errors = new FormErrors();
        conflict(errors, id, 'deciding to remove this finding');
        return kit.render(c, 'finding-remove.njk', { title: 'Remove this finding?', letter: current, finding, version: current.version, errors }, 409);
      }
      return kit.actionFailed(c, id, error);
    }
    setFlash(c, 'finding-removed');
    return c.redirect(`/letters/${id}#${category}`, 303);
  });

  pages.post('/letters/:id/findings/:findingId/move', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    const values = c.get('form');
    try {
      const letter = await getLetter(deps, c.get('actor'), id);
      const before = moveTarget(letter, findingOf(letter, findingId), values.direction);
      if (before !== undefined) await moveFinding(deps, c.get('actor'), id, findingId, versionOf(values) ?? 0, before);
    } catch (error) {
      return kit.actionFailed(c, id, error);
    }
    return toFinding(c, id, findingId, 'finding-moved');
  });

  // ----- Submitting ---------------------------------------------------------------------------

  pages.post('/letters/:id/submit', async (c) => {
    const id = idParam(c, 'id');
    try {
      await submitLetter(deps, c.get('actor'), id, versionOf(c.get('form')));
    } catch (error) {
      return kit.actionFailed(c, id, error);
    }
    setFlash(c, 'submitted');
    return redirectToLetter(c, id);
  });
}
