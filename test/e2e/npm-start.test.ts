import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { FIXTURES } from '../support/stack';
import { startProcess } from '../support/start-process';

const dataDir = mkdtempSync(join(tmpdir(), 'letters-start-'));
const start = () => startProcess({ dataDir, timeoutMs: 30_000 });

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
      await fetch(`${first.url}/dev/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role: 'inspector', name: 'Simon Rushall' }) })
    ).json();
    const created = await fetch(`${first.url}/api/letters`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: readFileSync(join(FIXTURES, 'durham-2011-03-09.json'), 'utf8'),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();

    expect(await stop(first.process)).toBe(0);
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();

    const second = await start();
    try {
      // The token was signed by the first run's issuer; its key is kept with the data.
      const read = await fetch(`${second.url}/api/letters/${id}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
      expect((await read.json()).authority.name).toBe('Durham County Council');
    } finally {
      expect(await stop(second.process)).toBe(0);
    }
  });
});
