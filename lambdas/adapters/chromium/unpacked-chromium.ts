import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/**
 * A Chromium folder unpacked ahead of time from @sparticuz/chromium's Brotli files (the Lambda
 * layer, built by cdk/constructs/chromium-layer.ts): the executable, SwiftShader's libraries
 * beside it, and the Amazon Linux 2023 libraries Lambda's image lacks. Chromium runs from it as
 * it is, read-only; nothing is written next to the binary.
 */
export const UNPACKED_CHROMIUM = {
  executable: 'chromium',
  libraries: 'al2023/lib',
} as const;

export interface UnpackedChromium {
  readonly executablePath: string;
  /** What Chromium's environment needs besides the renderer's own: its libraries first on the library path. */
  readonly env: { LD_LIBRARY_PATH: string };
}

/** The unpacked Chromium in `dir`, or undefined when `dir` holds something else (the package's Brotli files). */
export function unpackedChromium(dir: string): UnpackedChromium | undefined {
  const executablePath = join(dir, UNPACKED_CHROMIUM.executable);
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    return undefined;
  }
  const libraries = join(dir, UNPACKED_CHROMIUM.libraries);
  const others = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((entry) => entry && entry !== libraries);
  return { executablePath, env: { LD_LIBRARY_PATH: [libraries, ...others].join(':') } };
}
