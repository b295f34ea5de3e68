import { Session } from 'node:inspector/promises';

/**
 * Which part of the local stack a stack frame belongs to, by the file it runs from. The first
 * match walking up from the sampled frame wins, so time is charged to the innermost known part:
 * an AWS SDK call made by the DynamoDB emulator's own code counts as the emulator.
 */
/** Samples of the profiler's own work: not the stack's, so left out of what is charged. */
export const PROFILER = 'the profiler itself';

const COMPONENTS: [string, RegExp][] = [
  ['DynamoDB emulator (dynalite, LevelDB)', /node_modules\/(dynalite|classic-level|abstract-level|level-[^/]+|lazy-lock|big\.js|buffer-crc32)\//],
  ['S3 emulator (s3rver)', /node_modules\/(s3rver|koa[^/]*|@koa|xmlbuilder[^/]*|fast-xml-parser|busboy)\//],
  ['SES emulator (aws-ses-v2-local, mailparser)', /node_modules\/(aws-ses-v2-local|mailparser|@zone-eu|mailsplit|express|body-parser|libmime|libqp|libbase64|iconv-lite|html-to-text|encoding-japanese)\//],
  ['AWS SDK clients', /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//],
  ['MIME composition (nodemailer)', /node_modules\/nodemailer\//],
  ['puppeteer (browser protocol)', /node_modules\/puppeteer-core\//],
  ['pdf-lib (PDF metadata)', /node_modules\/pdf-lib\//],
  ['API framework and auth (hono, jose, zod)', /node_modules\/(hono|jose|zod|@asteasolutions)\//],
  ['project code', /\/lambdas\//],
  // Stopping the profiler builds the profile on this thread, while the sampler still runs.
  [PROFILER, /\/bench\/lib\/profile\.ts/],
  ['benchmark driver', /\/bench\//],
];

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber?: number };
  children?: number[];
}

export interface CpuBreakdown {
  /** Sampled wall time of the main thread, ms. */
  sampledMs: number;
  /** ms of main-thread time per component, busiest first; "idle" is the thread waiting. */
  components: { component: string; ms: number; share: number }[];
  /** The functions with the most samples of their own (self time), busiest first. */
  functions: { name: string; component: string; ms: number }[];
}

/** Samples this process's main thread while `work` runs and charges the time to components. */
export async function profileMainThread<T>(work: () => Promise<T>): Promise<[T, CpuBreakdown]> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const value = await work();
    const { profile } = await session.post('Profiler.stop');
    return [value, breakdown(profile as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] })];
  } finally {
    session.disconnect();
  }
}

function breakdown(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): CpuBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const componentOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = componentOf.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let component: string | undefined;
    if (name === '(idle)') component = 'idle';
    else if (name === '(garbage collector)') component = 'garbage collection';
    else if (name === '(program)') component = 'V8 and native, unattributed';
    else {
      for (let at: number | undefined = id; at !== undefined && !component; at = parent.get(at)) {
        const url = byId.get(at)!.callFrame.url;
        component = COMPONENTS.find(([, pattern]) => pattern.test(url))?.[0];
      }
      component ??= 'Node internals (HTTP, streams, timers)';
    }
    componentOf.set(id, component);
    return component;
  };
  const totals = new Map<string, number>();
  const selfTime = new Map<string, { component: string; ms: number }>();
  let sampled = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    sampled += ms;
    const component = classify(id);
    totals.set(component, (totals.get(component) ?? 0) + ms);
    if (component === 'idle' || component === PROFILER) return;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? ` ${url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(lambdas|bench)\//, '$1/')}:${(lineNumber ?? 0) + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where}`;
    const known = selfTime.get(name) ?? { component, ms: 0 };
    known.ms += ms;
    selfTime.set(name, known);
  });
  return {
    sampledMs: sampled,
    components: [...totals]
      .map(([component, ms]) => ({ component, ms, share: ms / sampled }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...selfTime]
      .map(([name, { component, ms }]) => ({ name, component, ms }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 25),
  };
}
