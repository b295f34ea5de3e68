import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const CHROMIUM_PACKAGE = '@sparticuz/chromium';

interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** Path below node_modules, e.g. `tar-fs` or `tar-fs/node_modules/pump`. */
  readonly path: string;
  readonly dir: string;
}

/**
 * The packages a package needs at run time, as npm installed them: its dependencies and the
 * optional ones that are present, followed transitively with Node's lookup (nearest
 * node_modules first), so the layer resolves exactly what the local install does.
 */
export function runtimeClosure(projectRoot: string, name: string): InstalledPackage[] {
  const modules = join(projectRoot, 'node_modules');
  const found = new Map<string, InstalledPackage>();

  const locate = (dependency: string, fromDir: string): string | undefined => {
    for (let dir = fromDir; dir.startsWith(projectRoot); dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', dependency);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dir === projectRoot) break;
    }
    return undefined;
  };

  const visit = (dir: string) => {
    if (found.has(dir)) return;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    found.set(dir, { name: manifest.name, version: manifest.version, path: relative(modules, dir), dir });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      const at = locate(dependency, dir);
      if (!at) throw new Error(`${manifest.name} needs ${dependency}, which is not installed: run npm ci`);
      visit(at);
    }
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) {
      const at = locate(dependency, dir);
      if (at) visit(at);
    }
  };

  const root = join(modules, name);
  if (!existsSync(join(root, 'package.json'))) throw new Error(`${name} is not installed: run npm ci`);
  visit(root);
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
}

export interface ChromiumLayerProps {
  readonly projectRoot: string;
}

/**
 * @sparticuz/chromium as a layer, copied from node_modules at synth time. The package ships
 * its x86_64 Chromium as a brotli file that is far larger than the handler bundles, so it
 * travels once as a layer instead of in every function; copying rather than `npm install`
 * keeps synth offline and the version pinned by the lock file.
 */
export class ChromiumLayer extends Construct {
  readonly layer: LayerVersion;
  readonly version: string;

  constructor(scope: Construct, id: string, props: ChromiumLayerProps) {
    super(scope, id);
    const packages = runtimeClosure(props.projectRoot, CHROMIUM_PACKAGE);
    this.version = packages.find((p) => p.path === CHROMIUM_PACKAGE.split('/').join(sep))!.version;

    // Packages nested inside another one's node_modules travel with their parent.
    const topLevel = packages.filter(
      (p) => !packages.some((other) => other !== p && p.dir.startsWith(other.dir + sep)),
    );
    // The installed versions fix the content, so hashing them avoids reading 60 MB every synth.
    const assetHash = createHash('sha256')
      .update(packages.map((p) => `${p.path}@${p.version}`).join('\n'))
      .digest('hex');

    this.layer = new LayerVersion(this, 'Layer', {
      description: `${CHROMIUM_PACKAGE} ${this.version} (x86_64) with its runtime dependencies`,
      compatibleArchitectures: [Architecture.X86_64],
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      code: Code.fromAsset(join(props.projectRoot, 'node_modules', CHROMIUM_PACKAGE), {
        assetHashType: AssetHashType.CUSTOM,
        assetHash,
        bundling: {
          // Never used: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
          local: {
            tryBundle(outputDir: string) {
              for (const p of topLevel) {
                cpSync(p.dir, join(outputDir, 'nodejs', 'node_modules', p.path), { recursive: true, dereference: true });
              }
              return true;
            },
          },
        },
      }),
    });
  }
}
