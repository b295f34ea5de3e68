import type { Hono } from 'hono';
import { AppError } from '../../../core/errors';
import { LETTER_STATUSES } from '../../../core/letter';
import { can } from '../../../core/roles';
import { isArchived } from '../../../core/transitions';
import { listLetters } from '../../../core/use-cases/read-letters';
import { ListQuery } from '../openapi';
import { addIssues, type FieldDef, FormErrors } from './form-fields';
import { listRowView, statusTag } from './letter-page';
import type { PageEnv, PageKit } from './page-kit';

/** The search form's fields, for its error messages. */
const SEARCH_FIELDS: FieldDef[] = [
  { id: 'authority', kind: 'text', label: 'Council', noun: 'the council' },
  { id: 'status', kind: 'yesNo', label: 'Status', noun: 'a status' },
  { id: 'delivery', kind: 'yesNo', label: 'Delivery', noun: 'a delivery filter' },
  { id: 'cursor', kind: 'text', label: 'Page', noun: 'the page' },
];

/** The list of letters, newest first, searched by council and status, twenty to a page. */
export function letterListPages(pages: Hono<PageEnv>, kit: PageKit) {
  pages.get('/letters', async (c) => {
    const actor = c.get('actor');
    const raw = {
      authority: c.req.query('authority') ?? '',
      status: c.req.query('status') ?? '',
      delivery: c.req.query('delivery') ?? '',
      cursor: c.req.query('cursor') ?? '',
    };
    const query = ListQuery.safeParse({
      authority: raw.authority.trim() || undefined,
      status: raw.status || undefined,
      delivery: raw.delivery || undefined,
      cursor: raw.cursor || undefined,
      limit: 20,
    });
    const errors = new FormErrors();
    let items: ReturnType<typeof listRowView>[] = [];
    let nextCursor: string | undefined;
    if (!query.success) {
      addIssues(errors, query.error.issues, raw, SEARCH_FIELDS);
    } else {
      try {
        const { delivery, ...search } = query.data;
        const page = await listLetters(kit.deps, actor, { ...search, deliveryProblem: delivery === 'problem' });
        items = page.items.map(listRowView);
        nextCursor = page.nextCursor;
      } catch (error) {
        // A cursor from another search, or a status a reader may not search for.
        if (!(error instanceof AppError) || error.status >= 500 || error.status === 401) throw error;
        errors.add('status', error.fields[0] ? `${error.fields[0].field}: ${error.fields[0].message}` : error.message);
      }
    }
    const search = new URLSearchParams();
    if (raw.authority.trim()) search.set('authority', raw.authority.trim());
    if (raw.status) search.set('status', raw.status);
    if (raw.delivery) search.set('delivery', raw.delivery);
    const nextUrl = nextCursor ? `/letters?${new URLSearchParams([...search, ['cursor', nextCursor]]).toString()}` : undefined;
    const statuses = actor.role === 'reader' ? LETTER_STATUSES.filter(isArchived) : LETTER_STATUSES;
    return kit.render(c, 'letters.njk', {
      title: 'Letters',
      items,
      values: raw,
      statusItems: [{ value: '', text: 'Any status' }, ...statuses.map((s) => ({ value: s, text: statusTag(s).text }))],
      searched: Boolean(raw.authority.trim() || raw.status || raw.delivery),
      firstPageUrl: raw.cursor ? `/letters${search.size ? `?${search}` : ''}` : undefined,
      nextUrl,
      canCreate: can(actor.role, 'create'),
      errors,
    }, errors.any ? 400 : 200);
  });
}
