import type { Hono } from 'hono';
import { AppError, ValidationError } from '../../../core/errors';
import type { Letter } from '../../../core/letter';
import { LIMITS, ReturnInput } from '../../../core/letter-schema';
import { can } from '../../../core/roles';
import { refusal } from '../../../core/transitions';
import { getLetter } from '../../../core/use-cases/read-letters';
import { previewHtml, previewPdf } from '../../../core/use-cases/render-letter';
import { approveLetter, returnLetter } from '../../../core/use-cases/review-letters';
import { previewPolicy } from '../preview-policy';
import { idParam } from '../request';
import { addIssues, addProblems, type FieldDef, field, FormErrors, type FormValues, versionOf } from './form-fields';
import { setFlash, takeFlash } from './flash';
import { flashMessage, letterPageView, outgoingEmails } from './letter-page';
import type { PageContext, PageEnv, PageKit } from './page-kit';


const RETURN_FIELDS: FieldDef[] = [field('comment', 'textarea', 'What needs to change?', 'what needs to change', { maxlength: LIMITS.comment })];

function parseReturnForm(values: FormValues): { comment?: string; errors: FormErrors } {
  const errors = new FormErrors();
  const parsed = ReturnInput.safeParse({ comment: (values.comment ?? '').trim() });
  if (!parsed.success) addIssues(errors, parsed.error.issues, values, RETURN_FIELDS);
  return parsed.success ? { comment: parsed.data.comment, errors } : { errors };
}

/** Reading a letter and reviewing it: the letter page, its draft previews, returning and approving. */
export function reviewPages(pages: Hono<PageEnv>, kit: PageKit) {
  const { deps } = kit;

  pages.get('/letters/:id', async (c) => {
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    return kit.letterPage(c, letter, { flash: flashMessage(takeFlash(c), letter) });
  });

  // The inspector's check before submitting: the letter, who it goes to and what they are sent.
  pages.get('/letters/:id/check', async (c) => {
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    const view = letterPageView(letter, c.get('actor'));
    if (!view.canSubmit || !view.tasks?.ready) return c.redirect(`/letters/${letter.id}`, 303);
    return kit.render(c, 'check.njk', { title: 'Check the letter before you submit it', letter, view, emails: outgoingEmails(letter, undefined) });
  });

  pages.get('/letters/:id/preview', async (c) => {
    const html = await previewHtml(deps, c.get('actor'), idParam(c, 'id'));
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': previewPolicy(deps.template) });
  });

  pages.get('/letters/:id/preview.pdf', async (c) => {
    const id = idParam(c, 'id');
    const pdf = await previewPdf(deps, c.get('actor'), id);
    return c.body(new Uint8Array(pdf), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="draft-${id}.pdf"`,
      // The browser's PDF viewer is not a page of ours: it needs no scripts of ours either.
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'self'",
    });
  });

  const returnForm = (c: PageContext, letter: Letter, values: FormValues, errors?: FormErrors, status = 200) =>
    kit.render(c, 'return-form.njk', { title: 'Return the letter to its inspectors', letter, values, errors, maxlength: LIMITS.comment }, status);

  pages.get('/letters/:id/return', async (c) => {
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    // Submitted, or approved and refused at render: the table of actions says which letters go back.
    if (!can(c.get('actor').role, 'return') || refusal(letter, 'return', {}) !== undefined) return c.redirect(`/letters/${letter.id}`, 303);
    return returnForm(c, letter, { version: String(letter.version) });
  });

  pages.post('/letters/:id/return', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const { comment, errors } = parseReturnForm(values);
    if (comment === undefined) return returnForm(c, await getLetter(deps, c.get('actor'), id), values, errors, 422);
    try {
      await returnLetter(deps, c.get('actor'), id, comment, versionOf(values));
    } catch (error) {
      if (!(error instanceof ValidationError)) return kit.actionFailed(c, id, error);
      addProblems(errors, error.fields, RETURN_FIELDS, 'comment');
      return returnForm(c, await getLetter(deps, c.get('actor'), id), values, errors, 422);
    }
    setFlash(c, 'returned');
    return c.redirect(`/letters/${id}`, 303);
  });

  pages.post('/letters/:id/approve', async (c) => {
    const id = idParam(c, 'id');
    try {
      // Approval names the version the manager read: a letter changed since is not approved.
      await approveLetter(deps, c.get('actor'), id, versionOf(c.get('form')) ?? 0);
    } catch (error) {
      // A page left open while someone else approved it: say who did, and when, rather than why not.
      const now = error instanceof AppError && error.status === 409 ? await getLetter(deps, c.get('actor'), id) : undefined;
      if (now?.approval) {
        setFlash(c, 'already-approved');
        return c.redirect(`/letters/${id}`, 303);
      }
      return kit.actionFailed(c, id, error);
    }
    setFlash(c, 'approved');
    return c.redirect(`/letters/${id}`, 303);
  });
}
