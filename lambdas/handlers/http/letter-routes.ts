import { type Context, Hono } from 'hono';
import { AddressFixInput, ApproveInput, FindingInput, FindingList, FindingPatch, LetterBody, LetterPatch, MoveInput, ReturnInput, WithdrawInput } from '../../core/letter-schema';
import { NotFoundError } from '../../core/errors';
import { correctLetter, fixDeliveryAddress } from '../../core/use-cases/correct-letter';
import { withdrawLetter } from '../../core/use-cases/withdraw-letter';
import type { Letter } from '../../core/letter';
import { RECIPIENT_ROLES, type RecipientRole } from '../../core/letter-schema';
import { z } from 'zod';
import { addFinding, addFindings, createLetter, moveFinding, removeFinding, updateFinding, updateLetter } from '../../core/use-cases/draft-letters';
import { getLetter, listLetters, retrievePdf, unchangedVersion } from '../../core/use-cases/read-letters';
import { approveLetter, returnLetter, submitLetter } from '../../core/use-cases/review-letters';
import { redistributeLetter } from '../../core/use-cases/distribute-letter';
import { previewHtml, previewPdf } from '../../core/use-cases/render-letter';
import type { ApiDependencies, ApiEnv } from './api-context';
import { letterResponse, letterSummaryResponse, readerLetterResponse } from './letter-view';
import { EmptyBody, ListQuery, PreviewQuery } from './openapi';
import { previewPolicy } from './preview-policy';
import { checkBody, idParam, ifMatch, ifNoneMatch, jsonBody, queryParams, versionFromBodyOrIfMatch, versionTag } from './request';


function sendLetter(c: Context<ApiEnv>, letter: Letter, status: 200 | 201 | 202 = 200) {
  c.header('ETag', versionTag(letter.version));
  return c.json(c.get('actor').role === 'reader' ? readerLetterResponse(letter) : letterResponse(letter, { withHistory: true }), status);
}

/** The JSON API: each route parses, calls one use case and maps its result. */
export function letterRoutes(deps: ApiDependencies) {
  const api = new Hono<ApiEnv>();
  api.post('/letters', async (c) => {
    const letter = await createLetter(deps, c.get('actor'), await jsonBody(c, LetterBody));
    c.header('Location', `/api/letters/${letter.id}`);
    return sendLetter(c, letter, 201);
  });

  api.get('/letters', async (c) => {
    const { delivery, ...search } = queryParams(c, ListQuery);
    const page = await listLetters(deps, c.get('actor'), { ...search, deliveryProblem: delivery === 'problem' });
    return c.json({ items: page.items.map(letterSummaryResponse), nextCursor: page.nextCursor ?? null });
  });

  api.get('/letters/:id', async (c) => {
    const id = idParam(c, 'id');
    // A poll that holds the letter as it is gets 304 and no body, for one small read.
    const unchanged = await unchangedVersion(deps, c.get('actor'), id, ifNoneMatch(c));
    if (unchanged !== undefined) {
      c.header('ETag', versionTag(unchanged));
      return c.body(null, 304);
    }
    // A HEAD retrieves nothing, so it is not recorded.
    return sendLetter(c, await getLetter(deps, c.get('actor'), id, { record: c.req.method !== 'HEAD' }));
  });

  api.patch('/letters/:id', async (c) => {
    const id = idParam(c, 'id');
    const version = ifMatch(c, true);
    return sendLetter(c, await updateLetter(deps, c.get('actor'), id, version, await jsonBody(c, LetterPatch)));
  });

  api.post('/letters/:id/findings', async (c) => {
    const id = idParam(c, 'id');
    // One finding, or an array of them: each checked by its own schema, so problems name fields.
    const body = await jsonBody(c, z.unknown());
    if (Array.isArray(body)) {
      // Several at once, all or none, in the order given: the letter with them.
      const { letter } = await addFindings(deps, c.get('actor'), id, checkBody(FindingList, body));
      c.header('Location', `/api/letters/${id}`);
      return sendLetter(c, letter, 201);
    }
    const { letter, finding } = await addFinding(deps, c.get('actor'), id, checkBody(FindingInput, body));
    c.header('Location', `/api/letters/${id}/findings/${finding.id}`);
    return sendLetter(c, letter, 201);
  });

  api.post('/letters/:id/findings/:findingId/move', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    const version = ifMatch(c, true);
    const { before } = await jsonBody(c, MoveInput);
    return sendLetter(c, await moveFinding(deps, c.get('actor'), id, findingId, version, before));
  });

  api.patch('/letters/:id/findings/:findingId', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    const version = ifMatch(c, true);
    return sendLetter(c, await updateFinding(deps, c.get('actor'), id, findingId, version, await jsonBody(c, FindingPatch)));
  });

  api.delete('/letters/:id/findings/:findingId', async (c) => {
    const [id, findingId] = [idParam(c, 'id'), idParam(c, 'findingId')];
    return sendLetter(c, await removeFinding(deps, c.get('actor'), id, findingId, ifMatch(c, true)));
  });

  api.post('/letters/:id/submit', async (c) => {
    const id = idParam(c, 'id');
    await jsonBody(c, EmptyBody, { optional: true });
    return sendLetter(c, await submitLetter(deps, c.get('actor'), id, ifMatch(c, false)));
  });

  api.post('/letters/:id/return', async (c) => {
    const id = idParam(c, 'id');
    const { comment } = await jsonBody(c, ReturnInput);
    return sendLetter(c, await returnLetter(deps, c.get('actor'), id, comment, ifMatch(c, false)));
  });

  api.post('/letters/:id/approve', async (c) => {
    const id = idParam(c, 'id');
    const { version } = await jsonBody(c, ApproveInput, { optional: true });
    return sendLetter(c, await approveLetter(deps, c.get('actor'), id, versionFromBodyOrIfMatch(c, version)), 202);
  });

  // On AWS the PDF comes from a function of its own (Chromium in a layer), so it has its own path.
  api.get('/letters/:id/preview.pdf', async (c) => {
    const id = idParam(c, 'id');
    const pdf = await previewPdf(deps, c.get('actor'), id);
    return c.body(new Uint8Array(pdf), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="draft-${id}.pdf"`,
    });
  });

  api.get('/letters/:id/preview', async (c) => {
    const id = idParam(c, 'id');
    const { format } = queryParams(c, PreviewQuery);
    if (format === 'pdf') return c.redirect(`/api/letters/${id}/preview.pdf`, 302);
    const html = await previewHtml(deps, c.get('actor'), id);
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': previewPolicy(deps.template) });
  });

  api.post('/letters/:id/redistribute', async (c) => {
    const id = idParam(c, 'id');
    await jsonBody(c, EmptyBody, { optional: true });
    return sendLetter(c, await redistributeLetter(deps, c.get('actor'), id), 202);
  });

  api.patch('/letters/:id/deliveries/:role', async (c) => {
    const id = idParam(c, 'id');
    const role = c.req.param('role');
    if (!RECIPIENT_ROLES.includes(role as RecipientRole)) throw new NotFoundError(`${JSON.stringify(role.slice(0, 60))} is not a recipient role.`);
    const change = await jsonBody(c, AddressFixInput);
    return sendLetter(c, await fixDeliveryAddress(deps, c.get('actor'), id, role as RecipientRole, change));
  });

  api.post('/letters/:id/correction', async (c) => {
    const id = idParam(c, 'id');
    await jsonBody(c, EmptyBody, { optional: true });
    const letter = await correctLetter(deps, c.get('actor'), id);
    c.header('Location', `/api/letters/${letter.id}`);
    return sendLetter(c, letter, 201);
  });

  api.post('/letters/:id/withdraw', async (c) => {
    const id = idParam(c, 'id');
    const { reason } = await jsonBody(c, WithdrawInput);
    return sendLetter(c, await withdrawLetter(deps, c.get('actor'), id, reason), 202);
  });

  api.get('/letters/:id/pdf', async (c) => {
    const url = await retrievePdf(deps, c.get('actor'), idParam(c, 'id'));
    // A script that cannot follow a redirect to another origin asks for the link itself.
    if (/^application\/json\b/i.test(c.req.header('accept') ?? '')) {
      return c.json({ url, expiresInSeconds: deps.presignExpiresSeconds });
    }
    return c.redirect(url, 302);
  });

  return api;
}
