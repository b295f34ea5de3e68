import { archiveKeys } from '../archive-keys';
import { TooManyRequestsError, ValidationError } from '../errors';
import { type Actor, contentOf, type Delivery, refusedAtRender, RENDER_REFUSED } from '../letter';
import { LIMITS, RECIPIENT_ROLES } from '../letter-schema';
import { estimatePages } from '../page-estimate';
import { allowedFrom, check, isArchived } from '../transitions';
import { sha256 } from '../record';
import { type ArchiveContext, authorise, entry, loadLetter, type PreviewContext, writeIfFirst } from './context';

export type RenderOutcome = 'rendered' | 'already-rendered' | 'not-approved' | 'over-page-limit';


const overPageLimit = () =>
  new ValidationError([{ field: 'pages', message: `prints more than ${LIMITS.pages} pages; a letter may have at most ${LIMITS.pages}` }]);

/**
 * Renders an approved letter into the archive.
 * 1. Skip a letter already rendered (a redelivered job), making sure distribution was queued.
 * 2. Render the approval snapshot (never the live draft) to HTML and PDF. A letter that prints
 *    more pages than the limit is refused here too, whatever let it through: nothing is stored
 *    or sent, and its history says why.
 * 3. Store the PDF, its accessible HTML twin and a manifest under the letter's keys; the manifest
 *    carries the head of the letter's record (up to its approval), and the PDF's hash is linked
 *    to the letter so that anyone holding a copy can verify it.
 * 4. Move the letter to rendered with one pending delivery per recipient, then queue distribution.
 *    The render event covers the PDF's and the HTML's SHA-256.
 */
export async function renderLetter(ctx: ArchiveContext, letterId: string): Promise<RenderOutcome> {
  const letter = await loadLetter(ctx, letterId);
  if (isArchived(letter.status)) {
    await ctx.jobs.enqueue('distribute', { letterId });
    return 'already-rendered';
  }
  if (!allowedFrom('render', letter.status) || !letter.approval) return 'not-approved';
  // Refused once for its length, this approval is refused for good: the sweeper's later jobs print nothing.
  if (refusedAtRender(letter)) return 'over-page-limit';

  const snapshot = letter.approval.snapshot;
  const html = ctx.template.render(snapshot);
  const { pdf, pages } = await ctx.renderer.render(html, ctx.template.pdfMetadata(snapshot), { lane: 'archive', maxPages: LIMITS.pages });
  if (pages > LIMITS.pages) {
    await ctx.letters.recordEvent(letterId, entry(ctx, 'system', RENDER_REFUSED, `prints more than ${LIMITS.pages} pages; nothing was sent`));
    return 'over-page-limit';
  }
  const keys = archiveKeys(letter);
  const htmlBytes = Buffer.from(html, 'utf8');
  const renderedAt = ctx.clock.now().toISOString();
  const record = { key: keys.pdf, sha256: sha256(pdf), bytes: pdf.length, pages, manifestKey: keys.manifest, htmlKey: keys.html, renderedAt };
  const manifest = {
    letterId,
    version: letter.approval.version,
    authority: snapshot.authority.name,
    letterDate: snapshot.letterDate,
    templateId: ctx.template.templateId,
    templateVersion: ctx.template.templateVersion,
    approvedBy: letter.approval.by,
    approvedAt: letter.approval.at,
    renderedAt,
    renderer: await ctx.renderer.fingerprint(),
    fonts: ctx.template.fonts,
    pdf: { key: keys.pdf, sha256: record.sha256, bytes: record.bytes, pages },
    html: { key: keys.html, sha256: sha256(htmlBytes), bytes: htmlBytes.length },
    record: letter.head,
  };
  // Three independent objects: stored side by side, and the letter moves on only once all are in.
  await Promise.all([
    ctx.archive.put(keys.pdf, pdf, 'application/pdf'),
    ctx.archive.put(keys.html, htmlBytes, 'text/html; charset=utf-8'),
    ctx.archive.put(keys.manifest, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json'),
  ]);
  await ctx.letters.linkPdf(record.sha256, letterId);

  const deliveries = Object.fromEntries(
    RECIPIENT_ROLES.map((role): [string, Delivery] => [
      role,
      { role, email: snapshot.recipients[role].email, state: 'pending', attempts: 0, updatedAt: renderedAt },
    ]),
  );
  const rendered = {
    ...entry(ctx, 'system', 'rendered', `${pages} pages, sha256 ${record.sha256}`),
    covers: { pdfSha256: record.sha256, htmlSha256: manifest.html.sha256 },
  };
  await writeIfFirst('render', (guard) => ctx.letters.transition(letterId, guard, { pdf: record, deliveries, entry: rendered }));
  await ctx.jobs.enqueue('distribute', { letterId });
  return 'rendered';
}

/** The draft as HTML, marked DRAFT, exactly as the template will print it. */
export async function previewHtml(ctx: ArchiveContext, actor: Actor, id: string): Promise<string> {
  authorise(actor, 'preview');
  const letter = await loadLetter(ctx, id);
  check(letter, 'preview');
  return ctx.template.render(contentOf(letter), { draft: true });
}

/** How long a preview's slot is held at most: past any render's timeout and a browser's launch. */
const PREVIEW_SLOT_MS = 90_000;
/** Previews take about a second; a client asked to wait this long usually finds the slot free. */
const PREVIEW_RETRY_AFTER_SECONDS = 2;

/**
 * The draft through the same renderer as the archive, with a DRAFT watermark on every page.
 * 1. Check the role and that the letter is before approval and within the page limit.
 * 2. Take the person's preview slot: one preview at a time each, or 429.
 * 3. Render on the preview lane, never ahead of letters being archived, at most one page past the limit.
 */
export async function previewPdf(ctx: PreviewContext, actor: Actor, id: string): Promise<Buffer> {
  authorise(actor, 'preview');
  const letter = await loadLetter(ctx, id);
  check(letter, 'preview');
  const content = contentOf(letter);
  if (estimatePages(content) > LIMITS.pages) throw overPageLimit();

  const holder = ctx.ids.next();
  const until = new Date(ctx.clock.now().getTime() + PREVIEW_SLOT_MS);
  if (!(await ctx.previews.take(actor.sub, holder, until))) {
    throw new TooManyRequestsError('Your previous preview is still being made; wait for it before asking for another.', PREVIEW_RETRY_AFTER_SECONDS);
  }
  try {
    const metadata = ctx.template.pdfMetadata(content);
    const html = ctx.template.render(content, { draft: true });
    const { pdf, pages } = await ctx.renderer.render(html, { ...metadata, title: `DRAFT: ${metadata.title}` }, { lane: 'preview', maxPages: LIMITS.pages });
    if (pages > LIMITS.pages) throw overPageLimit();
    return pdf;
  } finally {
    await ctx.previews.release(actor.sub, holder);
  }
}
