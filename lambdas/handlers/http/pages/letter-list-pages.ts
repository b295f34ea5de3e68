import type { Hono } from 'hono';
import { AppError } from '../../../core/errors';
import { type Actor, type Letter, LETTER_STATUSES } from '../../../core/letter';
import { can } from '../../../core/roles';
import { listLetters } from '../../../core/use-cases/read-letters';
import { ListQuery } from '../openapi';
import { councilChoice, type CouncilChoice } from './council-search';
import { addIssues, type FieldDef, FormErrors } from './form-fields';
import { listRowView, statusTag } from './letter-page';
import type { PageEnv, PageKit } from './page-kit';

/** The search form's fields, for its error messages. */
const SEARCH_FIELDS: FieldDef[] = [
  { id: 'authority', kind: 'text', label: 'Council', noun: 'the council' },
  { id: 'year', kind: 'text', label: 'Year', noun: 'the year' },
  { id: 'status', kind: 'yesNo', label: 'Status', noun: 'a status' },
  { id: 'delivery', kind: 'yesNo', label: 'Delivery', noun: 'a delivery filter' },
  { id: 'cursor', kind: 'text', label: 'Page', noun: 'the page' },
];

/** Readers choose only whether to see letters replaced by a correction or withdrawn. */
const READER_STATUSES = ['superseded', 'withdrawn'];

/** Staff see where a letter is in its journey; readers see archived letters, and no stages. */
const showsStages = (actor: Actor) => actor.role !== 'reader';

/**
 * The list of letters, newest first, twenty to a page: searched by council (the start of its
 * name, or one picked from the list of councils), year and, for staff, status. Managers see
 * the letters waiting for their review first.
 */
export function letterListPages(pages: Hono<PageEnv>, kit: PageKit) {
  pages.get('/letters', async (c) => {
    const actor = c.get('actor');
    const raw = {
      authority: (c.req.query('authority') ?? '').trim(),
      year: (c.req.query('year') ?? '').trim(),
      status: showsStages(actor) || READER_STATUSES.includes(c.req.query('status') ?? '') ? (c.req.query('status') ?? '') : '',
      delivery: c.req.query('delivery') ?? '',
      cursor: c.req.query('cursor') ?? '',
    };
    const errors = new FormErrors();
    if (raw.year && !/^\d{4}$/.test(raw.year)) errors.add('year', 'Enter the year as 4 numbers, like 2011');

    // The API matches a council's whole name; the form also takes the start of one.
    const names = await kit.councilNames(c);
    const council: CouncilChoice = raw.authority ? councilChoice(raw.authority, names) : { kind: 'none', typed: '', near: [] };
    const authority = council.kind === 'one' ? council.name : raw.authority || undefined;

    const query = ListQuery.safeParse({
      authority,
      status: raw.status || undefined,
      from: raw.year && !errors.field.year ? `${raw.year}-01-01` : undefined,
      to: raw.year && !errors.field.year ? `${raw.year}-12-31` : undefined,
      delivery: raw.delivery || undefined,
      cursor: raw.cursor || undefined,
      limit: 20,
    });
    let items: ReturnType<typeof listRowView>[] = [];
    let nextCursor: string | undefined;
    if (!query.success) {
      addIssues(errors, query.error.issues, raw, SEARCH_FIELDS);
    } else if (!errors.any && council.kind !== 'several') {
      try {
        const { delivery, ...search } = query.data;
        const page = await listLetters(kit.deps, actor, { ...search, deliveryProblem: delivery === 'problem' });
        items = page.items.map((l) => listRowView(l, showsStages(actor)));
        nextCursor = page.nextCursor;
      } catch (error) {
        // A cursor from another search, or a status a reader may not search for.
        if (!(error instanceof AppError) || error.status >= 500 || error.status === 401) throw error;
        errors.add('status', error.fields[0] ? `${error.fields[0].field}: ${error.fields[0].message}` : error.message);
      }
    }

    // Managers start from what waits for them.
    let waiting: ReturnType<typeof listRowView>[] = [];
    const searched = Boolean(raw.authority || raw.status || raw.year || raw.delivery);
    if (can(actor.role, 'approve') && !searched && !raw.cursor) {
      waiting = (await listLetters(kit.deps, actor, { status: 'submitted', limit: 50 })).items.map((l: Letter) => listRowView(l, true));
    }

    const search = new URLSearchParams();
    if (raw.authority) search.set('authority', council.kind === 'one' ? council.name : raw.authority);
    if (raw.year) search.set('year', raw.year);
    if (raw.status) search.set('status', raw.status);
    if (raw.delivery) search.set('delivery', raw.delivery);
    if (raw.delivery) search.set('delivery', raw.delivery);
    const nextUrl = nextCursor ? `/letters?${new URLSearchParams([...search, ['cursor', nextCursor]]).toString()}` : undefined;
    const suggestions = council.kind === 'several' || (council.kind === 'none' && raw.authority && items.length === 0) ? council : undefined;
    return kit.render(c, 'letters.njk', {
      title: 'Letters',
      items,
      waiting,
      values: { ...raw, authority: council.kind === 'one' ? council.name : raw.authority },
      showStages: showsStages(actor),
      statusItems: showsStages(actor)
        ? [{ value: '', text: 'Any status' }, ...LETTER_STATUSES.map((s) => ({ value: s, text: statusTag(s).text }))]
        : [{ value: '', text: 'Letters in force' }, { value: 'superseded', text: 'Replaced by a correction' }, { value: 'withdrawn', text: 'Withdrawn' }],
      councilNames: names,
      searched,
      suggestions: suggestions && {
        ...suggestions,
        links: (suggestions.kind === 'none' ? suggestions.near : suggestions.names).map((name) => ({
          name,
          href: `/letters?${new URLSearchParams([...[...search].filter(([k]) => k !== 'authority'), ['authority', name]])}`,
        })),
      },
      firstPageUrl: raw.cursor ? `/letters${search.size ? `?${search}` : ''}` : undefined,
      nextUrl,
      canCreate: can(actor.role, 'create'),
      errors,
    }, errors.any ? 400 : 200);
  });
}
