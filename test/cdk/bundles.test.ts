import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineInspectionLetters, STACK_NAMES } from '../../cdk/inspection-letters';
import { PROJECT_ROOT } from '../../cdk/paths';
import { unpackedChromium } from '../../lambdas/adapters/chromium/unpacked-chromium';
import { bundledFontFiles } from '../../lambdas/adapters/templates/letter-fonts';

/**
 * The bundles and the layer as `cdk synth` writes them (esbuild runs, unlike the template
 * tests): what each function would carry to Lambda.
 */
let outdir: string;
let assets: Record<string, { dir: string; layers: string[] }>;

/** The node_modules packages esbuild put in a bundle, read from its source map. */
function bundledPackages(dir: string): Set<string> {
  const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
  const packages = new Set<string>();
  for (const source of map.sources) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source.split('node_modules/').length > 1 ? source.slice(source.lastIndexOf('node_modules/')) : '');
    if (match) packages.add(match[1]);
  }
  return packages;
}

const sizeOf = (path: string): number =>
  statSync(path).isDirectory() ? readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0) : statSync(path).size;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => (statSync(join(dir, entry)).isDirectory() ? filesUnder(join(dir, entry)).map((f) => `${entry}/${f}`) : [entry]));

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'cdk-bundles-'));
  const context = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const app = new App({ outdir, context: { ...context, cognitoDomainPrefix: 'test-inspection-letters', sesDomain: 'letters.example.gov.uk', 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } });
  defineInspectionLetters(app);
  const assembly = app.synth();
  const template = assembly.getStackByName(STACK_NAMES.stateless).template as { Resources: Record<string, any> };
  const assetOf = (id: string) => join(outdir, template.Resources[id].Metadata['aws:asset:path']);
  assets = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !r.Metadata?.['aws:asset:path']) continue;
    const name = r.Metadata['aws:cdk:path'].split('/')[1];
    assets[name] = { dir: assetOf(id), layers: (r.Properties.Layers ?? []).map((l: { Ref: string }) => assetOf(l.Ref)) };
  }
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('function bundles', () => {
  it('bundles every dependency, @sparticuz/chromium included, so nothing resolves from a layer', () => {
    for (const { dir } of Object.values(assets)) {
      expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).not.toMatch(/from\s*"@sparticuz\/chromium"|import\("@sparticuz\/chromium"\)/);
    }
    for (const name of ['RenderLetter', 'PreviewLetterPdf']) {
      const packages = bundledPackages(assets[name].dir);
      for (const p of ['@sparticuz/chromium', 'puppeteer-core', 'pdf-lib']) expect(packages).toContain(p);
    }
  });

  it('keeps the browser, PDF and mail libraries out of the functions that do not use them', () => {
    const api = bundledPackages(assets.Api.dir);
    for (const p of ['puppeteer-core', '@sparticuz/chromium', 'pdf-lib', 'nodemailer', '@aws-sdk/client-ses']) expect(api).not.toContain(p);
    const events = bundledPackages(assets.RecordDeliveryEvent.dir);
    for (const p of ['puppeteer-core', '@sparticuz/chromium', 'pdf-lib', 'nodemailer', 'nunjucks', '@aws-sdk/client-s3', '@aws-sdk/client-sqs', '@aws-sdk/client-ses']) {
      expect(events).not.toContain(p);
    }
    expect(events).toContain('@aws-sdk/client-dynamodb');
    const distribute = bundledPackages(assets.DistributeLetter.dir);
    for (const p of ['puppeteer-core', '@sparticuz/chromium', 'pdf-lib', 'nunjucks']) expect(distribute).not.toContain(p);
    expect(distribute).toContain('nodemailer');
  });

  it('gives only render and preview the layer, which holds Chromium unpacked and no JavaScript', () => {
    const withLayer = Object.entries(assets).filter(([, a]) => a.layers.length > 0).map(([name]) => name).sort();
    expect(withLayer).toEqual(['PreviewLetterPdf', 'RenderLetter']);
    const layer = assets.RenderLetter.layers[0];
    const files = filesUnder(layer).sort();
    // The executable, SwiftShader beside it, Amazon Linux's libraries; no Brotli file left to inflate, no fonts, no JavaScript.
    expect(files).toEqual(expect.arrayContaining(['chromium/chromium', 'chromium/libGLESv2.so', 'chromium/al2023/lib/libnss3.so']));
    expect(files.filter((f) => /\.(br|js|mjs|cjs|ttf)$/.test(f))).toEqual([]);
    expect(statSync(join(layer, 'chromium', 'chromium')).mode & 0o111).toBe(0o111);
    expect(unpackedChromium(join(layer, 'chromium'))?.executablePath).toBe(join(layer, 'chromium', 'chromium'));
  });

  it('keeps each function with its layer within Lambda\'s 250 MB unzipped', () => {
    for (const { dir, layers } of Object.values(assets)) {
      const bytes = [dir, ...layers].reduce((sum, d) => sum + sizeOf(d), 0);
      expect(bytes).toBeLessThanOrEqual(250 * 2 ** 20);
    }
  });

  it('puts the letter fonts in /var/task/fonts, where @sparticuz/chromium\'s fonts.conf looks', () => {
    for (const name of ['RenderLetter', 'PreviewLetterPdf', 'Api']) {
      const fonts = filesUnder(join(assets[name].dir, 'fonts'));
      expect(fonts).toEqual(bundledFontFiles().map((f) => `arimo/${f.to}`).sort());
    }
  });
});
