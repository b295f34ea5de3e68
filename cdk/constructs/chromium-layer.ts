import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const CHROMIUM_PACKAGE = '@sparticuz/chromium';

/**
 * Where the layer puts @sparticuz/chromium's brotli files: Lambda unpacks layers into /opt.
 * The package's JavaScript is bundled into each function that renders, and given this folder.
 */
export const CHROMIUM_BIN_DIR = '/opt/chromium';

export interface ChromiumLayerProps {
  readonly projectRoot: string;
}

/**
 * @sparticuz/chromium's `bin` folder (Chromium, its libraries and fonts as brotli archives) as a
 * layer: ~65 MB that would otherwise travel in every function that renders. Only the binaries:
 * the package's JavaScript is bundled with the handler, so nothing resolves modules from /opt
 * (Node's ES module loader ignores NODE_PATH).
 */
export class ChromiumLayer extends Construct {
  readonly layer: LayerVersion;
  readonly version: string;

  constructor(scope: Construct, id: string, props: ChromiumLayerProps) {
    super(scope, id);
    const packageDir = join(props.projectRoot, 'node_modules', CHROMIUM_PACKAGE);
    const binDir = join(packageDir, 'bin');
    this.version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    // The installed version and the files' sizes fix the content; hashing them avoids reading 65 MB every synth.
    const files = readdirSync(binDir).sort();
    const assetHash = createHash('sha256')
      .update(`${CHROMIUM_PACKAGE}@${this.version}\n${files.map((f) => `${f}:${statSync(join(binDir, f)).size}`).join('\n')}`)
      .digest('hex');

    this.layer = new LayerVersion(this, 'Layer', {
      description: `${CHROMIUM_PACKAGE} ${this.version} binaries (x86_64), unpacked at ${CHROMIUM_BIN_DIR}`,
      compatibleArchitectures: [Architecture.X86_64],
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      code: Code.fromAsset(binDir, {
        assetHashType: AssetHashType.CUSTOM,
        assetHash,
        bundling: {
          // Never used: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
          local: {
            tryBundle(outputDir: string) {
              const target = join(outputDir, CHROMIUM_BIN_DIR.replace(/^\/opt\//, ''));
              mkdirSync(target, { recursive: true });
              cpSync(binDir, target, { recursive: true, dereference: true });
              return true;
            },
          },
        },
      }),
    });
  }
}
