import type { Logger } from '@aws-lambda-powertools/logger';
import { ChromiumPdfRenderer } from '../adapters/chromium/chromium-pdf-renderer';
import { letterFonts } from '../adapters/templates/letter-fonts';
import type { Config } from '../config';

/** Chromium starts on the first render, not here: a cold start that renders nothing never pays for it. */
export function chromiumRenderer(config: Config, logger: Logger): ChromiumPdfRenderer {
  return new ChromiumPdfRenderer({
    timeoutMs: config.RENDER_TIMEOUT_MS,
    singleProcess: config.CHROMIUM_SINGLE_PROCESS === 'true',
    binDir: config.CHROMIUM_BIN_DIR,
    fontFiles: letterFonts(config.FONTS_DIR).files,
    logger: { info: (message, details) => logger.info(message, { ...details }), warn: (message, details) => logger.warn(message, { ...details }) },
  });
}
