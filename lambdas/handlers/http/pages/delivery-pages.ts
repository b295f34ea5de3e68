import type { Hono } from 'hono';
import { NotFoundError, ValidationError } from '../../../core/errors';
import type { Letter } from '../../../core/letter';
import { AddressFixInput, LIMITS, type RecipientRole, WithdrawInput } from '../../../core/letter-schema';
import { can } from '../../../core/roles';
import { FIXABLE_STATES } from '../../../core/transitions';
import { correctLetter, fixDeliveryAddress } from '../../../core/use-cases/correct-letter';
import { redistributeLetter } from '../../../core/use-cases/distribute-letter';
import { getLetter, retrievePdf } from '../../../core/use-cases/read-letters';
import { withdrawLetter } from '../../../core/use-cases/withdraw-letter';
import { idParam } from '../request';
import { addIssues, addProblems, type FieldDef, field, FormErrors, type FormValues } from './form-fields';
import { RECIPIENT_LABELS } from './letter-page';
import type { PageContext, PageEnv, PageKit } from './page-kit';
import { setFlash } from './flash';

const ADDRESS_FIELDS: FieldDef[] = [
  field('email', 'email', 'New email address', 'the new email address'),
  field('reason', 'textarea', 'Why is the address changing?', 'why the address is changing', { maxlength: LIMITS.comment }),
];
const WITHDRAW_FIELDS: FieldDef[] = [field('reason', 'textarea', 'Why is the letter being withdrawn?', 'why the letter is being withdrawn', { maxlength: LIMITS.comment })];

/** The roles whose address a manager may fix: the DfE's comes from configuration. */
const FIXABLE_ROLES: readonly RecipientRole[] = ['director', 'chiefExecutive'];

function roleParam(c: PageContext): RecipientRole {
  const role = c.req.param('role') as RecipientRole;
  if (!FIXABLE_ROLES.includes(role)) throw new NotFoundError('There is no page at this address.');
  return role;
}

/**
 * After approval: the archived PDF, fixing the address of a copy that did not arrive, sending
 * again, starting a correction and withdrawing a letter sent in error.
 */
export function deliveryPages(pages: Hono<PageEnv>, kit: PageKit) {
  const { deps } = kit;

  pages.get('/letters/:id/pdf', async (c) => c.redirect(await retrievePdf(deps, c.get('actor'), idParam(c, 'id')), 302));

  pages.post('/letters/:id/redistribute', async (c) => {
    const id = idParam(c, 'id');
    try {
      await redistributeLetter(deps, c.get('actor'), id);
    } catch (error) {
      return kit.actionFailed(c, id, error);
    }
    setFlash(c, 'redistributed');
    return c.redirect(`/letters/${id}#deliveries`, 303);
  });

  const addressForm = (c: PageContext, letter: Letter, role: RecipientRole, values: FormValues, errors?: FormErrors, status = 200) =>
    kit.render(
      c,
      'address-form.njk',
      { title: `Change the ${RECIPIENT_LABELS[role].toLowerCase()}’s email address`, letter, role, delivery: letter.deliveries?.[role], values, errors, maxlength: LIMITS.comment },
      status,
    );

  pages.get('/letters/:id/deliveries/:role', async (c) => {
    const role = roleParam(c);
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    const state = letter.deliveries?.[role]?.state;
    if (!state || !FIXABLE_STATES.includes(state) || !can(c.get('actor').role, 'fixAddress')) return c.redirect(`/letters/${letter.id}#deliveries`, 303);
    return addressForm(c, letter, role, {});
  });

  pages.post('/letters/:id/deliveries/:role', async (c) => {
    const [id, role] = [idParam(c, 'id'), roleParam(c)];
    const values = c.get('form');
    const errors = new FormErrors();
    const parsed = AddressFixInput.safeParse({ email: (values.email ?? '').trim(), reason: (values.reason ?? '').trim() });
    if (!parsed.success) {
      addIssues(errors, parsed.error.issues, values, ADDRESS_FIELDS);
      return addressForm(c, await getLetter(deps, c.get('actor'), id), role, values, errors.sort(['email', 'reason']), 422);
    }
    try {
      await fixDeliveryAddress(deps, c.get('actor'), id, role, parsed.data);
    } catch (error) {
      if (!(error instanceof ValidationError)) return kit.actionFailed(c, id, error);
      addProblems(errors, error.fields, ADDRESS_FIELDS, 'email');
      return addressForm(c, await getLetter(deps, c.get('actor'), id), role, values, errors, 422);
    }
    setFlash(c, 'address-fixed');
    return c.redirect(`/letters/${id}#deliveries`, 303);
  });

  pages.post('/letters/:id/correction', async (c) => {
    const id = idParam(c, 'id');
    let correction: Letter;
    try {
      correction = await correctLetter(deps, c.get('actor'), id);
    } catch (error) {
      return kit.actionFailed(c, id, error);
    }
    setFlash(c, 'correction');
    return c.redirect(`/letters/${correction.id}`, 303);
  });

  const withdrawForm = (c: PageContext, letter: Letter, values: FormValues, errors?: FormErrors, status = 200) =>
    kit.render(c, 'withdraw-form.njk', { title: 'Withdraw the letter', letter, values, errors, maxlength: LIMITS.comment }, status);

  pages.get('/letters/:id/withdraw', async (c) => {
    const letter = await getLetter(deps, c.get('actor'), idParam(c, 'id'));
    if (letter.status !== 'distributed' || !can(c.get('actor').role, 'withdraw')) return c.redirect(`/letters/${letter.id}`, 303);
    return withdrawForm(c, letter, {});
  });

  pages.post('/letters/:id/withdraw', async (c) => {
    const id = idParam(c, 'id');
    const values = c.get('form');
    const errors = new FormErrors();
    const parsed = WithdrawInput.safeParse({ reason: (values.reason ?? '').trim() });
    if (!parsed.success) {
      addIssues(errors, parsed.error.issues, values, WITHDRAW_FIELDS);
      return withdrawForm(c, await getLetter(deps, c.get('actor'), id), values, errors, 422);
    }
    try {
      await withdrawLetter(deps, c.get('actor'), id, parsed.data.reason);
    } catch (error) {
      return kit.actionFailed(c, id, error);
    }
    setFlash(c, 'withdrawn');
    return c.redirect(`/letters/${id}`, 303);
  });
}
