import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { installedChromiumBin, unpackChromium } from '../../cdk/constructs/chromium-layer';
import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { LetterInput } from '../../lambdas/core/letter-schema';
import { readPdf } from '../support/pdf-text';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/durham-2011-03-09.json', import.meta.url));
const PACKAGE_BIN = installedChromiumBin();

/**
 * The renderer given a folder laid out as the Lambda layer is (unpacked by the layer construct's
 * own code) runs Chromium from it as it is, and prints what it prints from the package's own
 * unpack. The Lambda-shaped run (npm run smoke:lambda) does the same from a read-only /opt.
 */
describe('a renderer given Chromium unpacked as the layer holds it', () => {
  let scratch: string;
  const launched: Record<string, unknown>[] = [];
  let fromLayer: ChromiumPdfRenderer;
  let fromPackage: ChromiumPdfRenderer;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'unpacked-chromium-'));
    unpackChromium(PACKAGE_BIN, join(scratch, 'chromium'));
    fromLayer = new ChromiumPdfRenderer({
      binDir: join(scratch, 'chromium'),
      logger: { info: (message, details) => message === 'browser launched' && launched.push(details ?? {}), warn() {} },
    });
    fromPackage = new ChromiumPdfRenderer();
  });

  afterAll(async () => {
    await Promise.all([fromLayer.close(), fromPackage.close()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('launches the unpacked executable and prints the same letter, byte for byte', async () => {
    const input = LetterInput.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));
    const content = { ...input, findings: input.findings.map((f, i) => ({ id: `f${i + 1}`, ...f })) };
    const html = new NunjucksLetterTemplate(TEMPLATES_DIR).render(content);
    const here = await fromLayer.render(html, letterPdfMetadata(content));
    expect(launched.map((d) => d.executablePath)).toEqual([join(scratch, 'chromium', 'chromium')]);
    expect(here.pages).toBe(2);
    expect((await readPdf(here.pdf)).text).toContain(input.authority.name);
    const there = await fromPackage.render(html, letterPdfMetadata(content));
    expect(here.pdf.equals(there.pdf)).toBe(true);
  });
});
