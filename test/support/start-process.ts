import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface StartedProcess {
  process: ChildProcess;
  url: string;
  output(): string;
}

/**
 * Runs `npm start`'s command as a person would, on a data folder and a free port, and waits for
 * the URL it prints. `detached` makes it a process-group leader, so a signal to the group reaches
 * the process doing the work and not just tsx, its launcher.
 */
export async function startProcess(options: { dataDir: string; detached?: boolean; logLevel?: string; timeoutMs?: number }): Promise<StartedProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'lambdas/local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: options.dataDir, POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout!.on('data', () => {
      const match = /Health\s+(http:\/\/127\.0\.0\.1:\d+)\/health/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { process: child, url, output: () => output };
}
