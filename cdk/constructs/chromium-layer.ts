import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { extract } from 'tar';
import { UNPACKED_CHROMIUM } from '../../lambdas/adapters/chromium/unpacked-chromium';

export const CHROMIUM_PACKAGE = '@sparticuz/chromium';

/**
 * Where the layer puts Chromium, unpacked: Lambda unpacks layers into /opt. The package's
 * JavaScript is bundled into each function that renders, and given this folder.
 */
export const CHROMIUM_BIN_DIR = '/opt/chromium';

/** The installed package's `bin` folder; the package exports no package.json, and its main file sits in build/cjs, two levels below its root. */
export const installedChromiumBin = () => join(dirname(createRequire(import.meta.url).resolve(CHROMIUM_PACKAGE)), '..', '..', 'bin');

/**
 * Unpacks @sparticuz/chromium's `bin` folder into `target` as the renderer runs it from a
 * read-only folder (lambdas/adapters/chromium/unpacked-chromium.ts): `chromium.br` as the
 * executable, SwiftShader's libraries beside it (Chromium looks for them next to its binary, as
 * the package's own unpack into /tmp leaves them) and the Amazon Linux 2023 libraries in
 * `al2023/lib`, for the library path. The package's fonts are left out: the renderer offers
 * Chromium the letter's own fonts through a fontconfig file of its own.
 */
export function unpackChromium(packageBinDir: string, target: string): void {
  mkdirSync(join(target, dirname(UNPACKED_CHROMIUM.libraries)), { recursive: true });
  writeFileSync(join(target, UNPACKED_CHROMIUM.executable), brotliDecompressSync(readFileSync(join(packageBinDir, 'chromium.br'))), { mode: 0o755 });
  const untar = (archive: string, cwd: string) =>
    extract({ file: join(packageBinDir, archive), cwd, brotli: true, sync: true, strict: true, preserveOwner: false });
  untar('swiftshader.tar.br', target);
  // The archive holds lib/…, so it lands in al2023/lib.
  untar('al2023.tar.br', join(target, dirname(UNPACKED_CHROMIUM.libraries)));
}

/**
 * The installed package's version and its files' sizes fix what the unpacked folder holds;
 * hashing them avoids reading 65 MB every synth.
 */
export function chromiumPackageHash(packageBinDir: string, version: string): string {
  const files = readdirSync(packageBinDir).sort();
  return createHash('sha256')
    .update(`${CHROMIUM_PACKAGE}@${version}\nunpacked\n${files.map((f) => `${f}:${statSync(join(packageBinDir, f)).size}`).join('\n')}`)
    .digest('hex');
}

/**
 * The unpacked folder for this hash, built once under node_modules/.cache (so `npm ci` clears it)
 * and reused by later synths; an older version's folder is removed when a new one is built.
 */
function cachedUnpack(projectRoot: string, packageBinDir: string, hash: string): string {
  const cacheRoot = join(projectRoot, 'node_modules', '.cache', 'chromium-layer');
  const folder = join(cacheRoot, hash.slice(0, 32));
  if (existsSync(folder)) return folder;
  mkdirSync(cacheRoot, { recursive: true });
  // Built aside and moved into place whole, so a synth that stops halfway leaves no half folder.
  const building = mkdtempSync(`${folder}.building-`);
  try {
    unpackChromium(packageBinDir, building);
    renameSync(building, folder);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(folder)) throw error; // else another synth got there first
  }
  for (const entry of readdirSync(cacheRoot)) {
    if (entry !== basename(folder) && !entry.includes('.building-')) rmSync(join(cacheRoot, entry), { recursive: true, force: true });
  }
  return folder;
}

export interface ChromiumLayerProps {
  readonly projectRoot: string;
}

/**
 * Chromium from @sparticuz/chromium, unpacked at synth time, as a layer (205 MiB unzipped,
 * 88 MiB zipped), so a new sandbox starts Chromium at once instead of first inflating 61 MiB of
 * Brotli into /tmp (1.7 s on one core). Only the binaries: the package's JavaScript is bundled
 * with the handler, so nothing resolves modules from /opt (Node's ES module loader ignores
 * NODE_PATH).
 */
export class ChromiumLayer extends Construct {
  readonly layer: LayerVersion;
  readonly version: string;

  constructor(scope: Construct, id: string, props: ChromiumLayerProps) {
    super(scope, id);
    const packageDir = join(props.projectRoot, 'node_modules', CHROMIUM_PACKAGE);
    const binDir = join(packageDir, 'bin');
    this.version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    const assetHash = chromiumPackageHash(binDir, this.version);

    this.layer = new LayerVersion(this, 'Layer', {
      description: `${CHROMIUM_PACKAGE} ${this.version} (x86_64), unpacked at ${CHROMIUM_BIN_DIR}`,
      compatibleArchitectures: [Architecture.X86_64],
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      code: Code.fromAsset(binDir, {
        assetHashType: AssetHashType.CUSTOM,
        assetHash,
        bundling: {
          // Never used: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
          local: {
            // Runs only when synth needs the asset (not for template-only tests).
            tryBundle(outputDir: string) {
              const unpacked = cachedUnpack(props.projectRoot, binDir, assetHash);
              cpSync(unpacked, join(outputDir, CHROMIUM_BIN_DIR.replace(/^\/opt\//, '')), { recursive: true });
              return true;
            },
          },
        },
      }),
    });
  }
}
