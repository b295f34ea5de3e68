/**
 * A client of the local stack, in a process of its own so that its work is not counted as the
 * stack's: it drafts letters as an inspector and approves them as a manager over HTTP, then polls
 * `GET /api/letters/{id}` until each is distributed, as a page or a script would, sending the ETag
 * it last saw in If-None-Match. bench/lib/client.ts starts it with a plan on stdin; it reports on
 * stdout, one JSON line per event:
 *   {"event":"phase","phase":"batch","state":"start"|"end","cpuMs":N}  around the timed batch, for the CPU
 *                                                           meters; cpuMs is this process's own CPU so far
 *   {"event":"result", ...}                                   the timings, at the end
 */
import { readFileSync } from 'node:fs';

interface Plan {
  url: string;
  tokens: { inspector: string; manager: string };
  input: unknown;
  sequential: { letters: number; pollMs: number };
  batches: { letters: number; pollMs: number; label: string }[];
}

const plan = JSON.parse(readFileSync(0, 'utf8')) as Plan;
const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall time of each kind of request, for the cost of the API function. */
const requestMs: Record<string, number[]> = {};
let polls = 0;

async function call<T>(role: 'inspector' | 'manager', kind: string, method: string, path: string, body?: unknown, etag?: string): Promise<{ value: T | undefined; etag: string | undefined }> {
  const started = performance.now();
  const response = await fetch(`${plan.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${plan.tokens[role]}`, 'Content-Type': 'application/json', ...(etag ? { 'If-None-Match': etag } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  (requestMs[kind] ??= []).push(performance.now() - started);
  if (response.status === 304) return { value: undefined, etag };
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return { value: JSON.parse(text) as T, etag: response.headers.get('etag') ?? undefined };
}

async function draft(): Promise<{ id: string; version: number }> {
  const created = (await call<{ id: string }>('inspector', 'create', 'POST', '/api/letters', plan.input)).value!;
  const submitted = (await call<{ version: number }>('inspector', 'submit', 'POST', `/api/letters/${created.id}/submit`)).value!;
  return { id: created.id, version: submitted.version };
}

/** A letter not distributed by then is reported as such (NaN) rather than waited for. */
const GIVE_UP_MS = 60_000;

/**
 * Approve, then poll as the manager until the letter reads as distributed; ms from the approve
 * request. Each poll sends the ETag last seen, as an HTTP cache does: an unchanged letter is a 304.
 */
async function approveAndPoll(letter: { id: string; version: number }, pollMs: number, since = performance.now()): Promise<number> {
  let { etag } = await call('manager', 'approve', 'POST', `/api/letters/${letter.id}/approve`, { version: letter.version });
  let status = 'approved';
  for (;;) {
    polls += 1;
    const read = await call<{ status: string }>('manager', 'get', 'GET', `/api/letters/${letter.id}`, undefined, etag);
    ({ etag } = read);
    status = read.value?.status ?? status;
    if (status === 'distributed') return performance.now() - since;
    if (performance.now() - since > GIVE_UP_MS) {
      process.stderr.write(`letter ${letter.id} still ${status} after ${GIVE_UP_MS / 1000} s\n`);
      return Number.NaN;
    }
    await sleep(pollMs);
  }
}

const sequential: number[] = [];
const drafted = [];
for (let i = 0; i < plan.sequential.letters; i++) drafted.push(await draft());
for (const letter of drafted) sequential.push(await approveAndPoll(letter, plan.sequential.pollMs));
const sequentialPolls = polls;

const batches = [];
for (const batch of plan.batches) {
  const letters = [];
  for (let i = 0; i < batch.letters; i++) letters.push(await draft());
  const pollsBefore = polls;
  emit({ event: 'phase', phase: batch.label, state: 'start', cpuMs: cpuMs() });
  const started = performance.now();
  // All approved at once; each then polled on its own timer.
  const latencies = await Promise.all(letters.map((letter) => approveAndPoll(letter, batch.pollMs, started)));
  const seconds = (performance.now() - started) / 1000;
  emit({ event: 'phase', phase: batch.label, state: 'end', cpuMs: cpuMs() });
  batches.push({ label: batch.label, letters: letters.length, seconds, latencies, polls: polls - pollsBefore, ids: letters.map((l) => l.id) });
}

emit({ event: 'result', sequential, sequentialPolls, batches, requestMs, ids: drafted.map((l) => l.id) });
