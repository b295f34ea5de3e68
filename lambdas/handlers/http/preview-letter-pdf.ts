import { loadConfig } from '../../config';
import { lambdaHandler } from '../../wiring/lambda';
import { chromiumRenderer } from '../../wiring/renderer';
import { apiDependencies, createApiHandler } from './api';

/**
 * DRAFT-watermarked PDF previews (`GET /api/letters/{id}/preview.pdf` and the forms'
 * `GET /letters/{id}/preview.pdf`). The same app as the api function, with Chromium: API
 * Gateway sends only those two routes here, so the browser's memory and x86_64 layer are paid
 * for by previews alone. Locally the one server answers both.
 */
export const handler = lambdaHandler((logger) => {
  const config = loadConfig();
  return apiDependencies(config, logger, chromiumRenderer(config, logger));
}, createApiHandler);
