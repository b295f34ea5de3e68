import type { Hono } from 'hono';
import { ValidationError } from '../../../core/errors';
import type { Letter } from '../../../core/letter';
import { LIMITS, ReturnInput } from '../../../core/letter-schema';
import { can } from '../../../core/roles';
import { getLetter } from '../../../core/use-cases/read-letters';
import { previewHtml, previewPdf } from '../../../core/use-cases/render-letter';
import { approveLetter, returnLetter } from '../../../core/use-cases/review-letters';
import { previewPolicy } from '../preview-policy';
import { idParam } from '../request';
import { addIssues, addProblems, type FieldDef, field, FormErrors, type FormValues, versionOf } from './form-fields';
import type { PageContext, PageEnv, PageKit } from './page-kit';

/** Messages after a POST-redirect-GET: chosen by a fixed key, so no text travels in the URL. */
const DONE: Record<string, string> = {
  created: 'Letter created. Add its findings, then submit it for approval.',
  saved: 'The letter’s details have been saved.',
  unchanged: 'Nothing was changed.',
  'finding-added': 'Finding added.',
  'finding-saved': 'Finding saved.',
  'finding-removed': 'Finding removed.',
  submitted: 'Letter submitted for approval.',
  returned: 'Letter returned to its inspectors with your comment.',
  approved: 'Letter approved. It is being made into a PDF and sent to its 3 recipients.',
  redistributed: 'The letter is being sent again to the recipients it failed to reach.',
  'address-fixed': 'The new address is saved. Another manager must now send the letter to it.',
  correction: 'Correction started: a new draft with the letter’s content. Change what is wrong, then submit it for approval. Once it is sent it replaces the original.',
  withdrawn: 'Letter withdrawn. Each recipient is being sent a notice.',
};

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
    return kit.letterPage(c, letter, { flash: DONE[c.req.query('done') ?? ''] });
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
    if (letter.status !== 'submitted' || !can(c.get('actor').role, 'return')) return c.redirect(`/letters/${letter.id}`, 303);
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
    return c.redirect(`/letters/${id}?done=returned`, 303);
  });

  pages.post('/letters/:id/approve', async (c) => {
    const id = idParam(c, 'id');
    try {
      // Approval names the version the manager read: a letter changed since is not approved.
      await approveLetter(deps, c.get('actor'), id, versionOf(c.get('form')) ?? 0);
    } catch (error) {
      return kit.actionFailed(c, id, error);
    }
    return c.redirect(`/letters/${id}?done=approved`, 303);
  });
}
