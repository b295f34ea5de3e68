import type { Hono } from 'hono';
import { redistributeLetter } from '../../../core/use-cases/distribute-letter';
import { retrievePdf } from '../../../core/use-cases/read-letters';
import { idParam } from '../request';
import type { PageEnv, PageKit } from './page-kit';

/** After approval: the archived PDF, and sending again to the recipients a copy failed to reach. */
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
    return c.redirect(`/letters/${id}?done=redistributed#deliveries`, 303);
  });
}
