import type { Hono } from 'hono';
import type { AccessEntry, HistoryEntry } from '../../../core/letter';
import { checkIntegrity, letterAccessLog, letterHistory, retrieveHtml } from '../../../core/use-cases/letter-record';
import { can } from '../../../core/transitions';
import { getLetter } from '../../../core/use-cases/read-letters';
import { PageQuery } from '../openapi';
import { archivedHtmlPolicy } from '../record-routes';
import { idParam, queryParams } from '../request';
import { historyRow } from './letter-page';
import type { PageEnv, PageKit } from './page-kit';
import { dateTime } from './views';

const ACCESS_ACTIONS: Record<AccessEntry['action'], string> = {
  read: 'Read the letter',
  'pdf-retrieved': 'Opened the PDF',
  'html-retrieved': 'Opened the web page version',
};

/** A letter's record in pages: its history and access log, a page at a time, and the archived HTML. */
export function recordPages(pages: Hono<PageEnv>, kit: PageKit) {
  const { deps } = kit;

  pages.get('/letters/:id/html', async (c) => {
    const html = await retrieveHtml(deps, c.get('actor'), idParam(c, 'id'), { record: c.req.method !== 'HEAD' });
    return c.body(new Uint8Array(html), 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': archivedHtmlPolicy(deps.template) });
  });

  pages.get('/letters/:id/history', async (c) => {
    const id = idParam(c, 'id');
    const page = await letterHistory(deps, c.get('actor'), id, queryParams(c, PageQuery));
    const letter = await getLetter(deps, c.get('actor'), id, { record: false });
    // Managers see at once whether the record still holds: every link, hash and archived head.
    const integrity = can(c.get('actor').role, 'integrity') ? await checkIntegrity(deps, c.get('actor'), id) : undefined;
    return kit.render(c, 'record.njk', {
      title: 'History of the letter',
      letter,
      integrity,
      caption: 'Events, newest first',
      rows: page.items.map((h: HistoryEntry) => historyRow(h)),
      showHash: true,
      next: page.nextCursor ? `/letters/${id}/history?cursor=${encodeURIComponent(page.nextCursor)}` : undefined,
    });
  });

  pages.get('/letters/:id/access', async (c) => {
    const id = idParam(c, 'id');
    const page = await letterAccessLog(deps, c.get('actor'), id, queryParams(c, PageQuery));
    const letter = await getLetter(deps, c.get('actor'), id, { record: false });
    return kit.render(c, 'record.njk', {
      title: 'Who has opened the letter',
      letter,
      caption: 'Retrievals, newest first',
      rows: page.items.map((a) => ({ when: dateTime(a.at), by: a.by, role: a.role, what: ACCESS_ACTIONS[a.action] ?? a.action })),
      next: page.nextCursor ? `/letters/${id}/access?cursor=${encodeURIComponent(page.nextCursor)}` : undefined,
    });
  });
}
