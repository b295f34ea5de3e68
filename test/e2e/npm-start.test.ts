import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/stack';

const ROOT = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'letters-start-'));

/** Runs `npm start`'s command as a person would, and waits for the URL it prints. */
async function start(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'lambdas/local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 30 s:\n${output}`)), 30_000);
    child.stdout!.on('data', () => {
      const match = /Health\s+(http:\/\/127\.0\.0\.1:\d+)\/health/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('serves the pipeline, stops cleanly on Ctrl-C, and finds its drafts after a restart', async () => {
    const first = await start();
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    expect(first.output()).toContain('/dev/outbox');

    const { token } = await (
      await fetch(`${first.url}/dev/token`, { method: 'POST', body: JSON.stringify({ role: 'inspector', name: 'Simon Rushall' }) })
    ).json();
    const created = await fetch(`${first.url}/api/letters`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: readFileSync(join(FIXTURES, 'durham-2011-03-09.json'), 'utf8'),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();

    expect(await stop(first.child)).toBe(0);
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();

    const second = await start();
    try {
      // The token was signed by the first run's issuer; its key is kept with the data.
      const read = await fetch(`${second.url}/api/letters/${id}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
      expect((await read.json()).authority.name).toBe('Durham County Council');
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });
});
