import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { type CouncilEntry, CouncilInput } from '../../core/council';
import { ChiefExecutive, Director } from '../../core/letter-schema';
import { COUNCIL_CODE } from '../../core/council-name';
import { NotFoundError } from '../../core/errors';
import { getCouncil, listCouncils, putCouncil } from '../../core/use-cases/council-directory';
import type { ApiDependencies, ApiEnv } from './api-context';
import { ifMatch, jsonBody, queryParams, versionTag } from './request';

export const CouncilListQuery = z.strictObject({
  cursor: z.string().min(1).max(500).optional().openapi({ description: 'The `nextCursor` of the previous page, as given; any other value is a 400.' }),
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: 'Councils per page.' }),
});

const timestamp = z.string().openapi({ format: 'date-time' });
const ActorRecordView = z.strictObject({ sub: z.string(), name: z.string() });

export const CouncilView = z
  .strictObject({
    code: z.string().openapi({ example: 'durham-county-council' }),
    name: z.string().openapi({ description: "The council's name: a letter's authority.name.", example: 'Durham County Council' }),
    director: Director,
    chiefExecutive: ChiefExecutive,
    version: z.number().int().positive().openapi({ description: 'Raised by every change; sent as the ETag.' }),
    updatedAt: timestamp,
    updatedBy: ActorRecordView,
    changes: z
      .array(z.strictObject({ at: timestamp, by: ActorRecordView, version: z.number().int().positive(), fields: z.array(z.string()) }))
      .openapi({ description: 'Every change, oldest first: who, when, which fields.' }),
  })
  .openapi('Council', { description: "A council's directory entry: where its letters go." });

export const CouncilPageView = z
  .strictObject({
    items: z.array(CouncilView),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next page; null on the last page.' }),
  })
  .openapi('CouncilPage');

/** A directory entry as the API shows it: the council, its two recipients, and who changed it last and when. */
export function councilView(entry: CouncilEntry): z.infer<typeof CouncilView> {
  return {
    code: entry.code,
    name: entry.name,
    director: entry.director,
    chiefExecutive: entry.chiefExecutive,
    version: entry.version,
    updatedAt: entry.updatedAt,
    updatedBy: entry.updatedBy,
    changes: entry.changes,
  };
}

function codeParam(c: Context): string {
  const code = c.req.param('code') ?? '';
  if (code.length > 80 || !COUNCIL_CODE.test(code)) {
    throw new NotFoundError(`${JSON.stringify(code.slice(0, 60))} is not a council code: lower-case words joined by hyphens, such as durham-county-council.`);
  }
  return code;
}

function sendCouncil(c: Context<ApiEnv>, entry: CouncilEntry, status: 200 | 201 = 200) {
  c.header('ETag', versionTag(entry.version));
  return c.json(councilView(entry), status);
}

/** The council directory: where each council's letters go. */
export function councilRoutes(deps: ApiDependencies) {
  const api = new Hono<ApiEnv>();

  api.get('/councils', async (c) => {
    const page = await listCouncils(deps, c.get('actor'), queryParams(c, CouncilListQuery));
    return c.json({ items: page.items.map(councilView), nextCursor: page.nextCursor ?? null });
  });

  api.get('/councils/:code', async (c) => sendCouncil(c, await getCouncil(deps, c.get('actor'), codeParam(c))));

  api.put('/councils/:code', async (c) => {
    const code = codeParam(c);
    const version = ifMatch(c, false);
    const { entry, created } = await putCouncil(deps, c.get('actor'), code, await jsonBody(c, CouncilInput), version);
    if (created) c.header('Location', `/api/councils/${code}`);
    return sendCouncil(c, entry, created ? 201 : 200);
  });

  return api;
}
