/**
 * Chromium flag sweep: the ready-state memory of each candidate flag set vs the current set,
 * one candidate at a time, on the simulated WhatsApp Web. Not part of `npm run bench`.
 *
 *   npx tsx bench/flags.ts --base before --cumulative --runs 3 --stability 10
 *       the table in docs/performance.md: from the daemon's original flags, each candidate in
 *       turn against the set kept so far; kept when it saves at least --keep-mib (2) MiB of
 *       PSS, no anon+shmem, and messaging still works; then 10 stability cycles of the result
 *   npx tsx bench/flags.ts --only 'without --single-process'    one candidate vs today's set
 *   npx tsx bench/flags.ts --add='name=--flag --flag'           an ad-hoc candidate
 *
 * Options: --runs N (3), --settle-ms MS (5000), --base daemon|before|bare, --extra-base='...',
 * --browser shell|full (shell: chrome-headless-shell, the daemon's default; full: Chromium).
 * Values that start with a dash need the `--option=value` form.
 *
 * Every run is a restored start of the same paired profile (a fresh copy each time) in a
 * bare whatsapp-web.js Client whose Chromium args are replaced by the set under test, so only
 * the flags differ. Current-set and candidate runs alternate; medians are reported. Each run
 * also checks that messaging still works (`!ping` answered). `--stability N` puts the
 * resulting set (or each candidate) through N restarts, each with a message and a
 * reconnect (socket CONFLICT: the library closes the browser itself).
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { BASE_CHROMIUM_ARGS, HYGIENE_CHROMIUM_ARGS } from '../src/chromium/chromium-flags';
import { SimPhone } from '../test/sim';
import { Cleanup } from './lib/cleanup';
import { type BareRun, type BenchContext, benchBrowsers, startBare } from './lib/contenders';
import { BenchDirs } from './lib/dirs';
import { describeRoles, type TreeMemory } from './lib/memory';
import { pairTemplate } from './lib/pairing';
import { sampleMemory } from './lib/sample';
import { median, mib, table } from './lib/stats';

/** Starts the bare client on the chosen browser with the given flags. */
let start: (authPath: string, flags: readonly string[]) => BareRun = () => {
  throw new Error('not started');
};

interface Candidate {
  readonly name: string;
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
}

const CANDIDATES: readonly Candidate[] = [
  // In the order `--cumulative` tries them: each is measured against the set kept so far.
  { name: 'no omnibox WebUI', add: ['--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup'] },
  { name: 'no spare renderer', add: ['--disable-features=SpareRendererForSitePerProcess'] },
  { name: 'no site isolation', add: ['--disable-site-isolation-trials', '--disable-features=site-per-process,IsolateOrigins'] },
  { name: 'renderer-process-limit=1', add: ['--renderer-process-limit=1'] },
  { name: 'network in process', add: ['--enable-features=NetworkServiceInProcess2'] },
  { name: 'no software rasterizer', add: ['--disable-software-rasterizer'] },
  { name: 'in-process-gpu', add: ['--in-process-gpu'] },
  { name: 'single-process', add: ['--single-process'] },
  { name: 'no-zygote', add: ['--no-zygote'] },
  { name: 'disk-cache-size=1', add: ['--disk-cache-size=1'] },
  { name: 'js max-old-space=256', add: ['--js-flags=--max-old-space-size=256'] },
  { name: 'js optimize-for-size', add: ['--js-flags=--optimize-for-size'] },
  { name: 'js lite-mode', add: ['--js-flags=--lite-mode'] },
  { name: 'js semi-space 1 MB', add: ['--js-flags=--max-semi-space-size=1'] },
  { name: 'no back-forward cache', add: ['--disable-features=BackForwardCache'] },
  // Flags already in the daemon's set: what removing each would cost.
  { name: 'without omnibox/spare features', remove: ['--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,SpareRendererForSitePerProcess'] },
  { name: 'without network in process', remove: ['--enable-features=NetworkServiceInProcess2'] },
  { name: 'without --disable-software-rasterizer', remove: ['--disable-software-rasterizer'] },
  { name: 'without --single-process', remove: ['--single-process'] },
  { name: 'without --no-zygote', remove: ['--no-zygote'] },
  { name: 'without --disable-dev-shm-usage', remove: ['--disable-dev-shm-usage'] },
  { name: 'without --disable-extensions', remove: ['--disable-extensions'] },
  { name: 'without --disable-background-networking', remove: ['--disable-background-networking'] },
];

const BASES: Record<string, readonly string[]> = {
  /** What the daemon passes today (as root). */
  daemon: [...BASE_CHROMIUM_ARGS, '--no-sandbox'],
  /** The daemon's original flags: the start of the cumulative sweep in docs/performance.md. */
  before: [...HYGIENE_CHROMIUM_ARGS, '--no-sandbox'],
  /** The library's defaults. */
  bare: ['--no-sandbox'],
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'settle-ms': { type: 'string', default: '5000' },
      only: { type: 'string' },
      base: { type: 'string', default: 'daemon' },
      browser: { type: 'string', default: 'shell' },
      'extra-base': { type: 'string', default: '' },
      cumulative: { type: 'boolean', default: false },
      'keep-mib': { type: 'string', default: '2' },
      stability: { type: 'string', default: '0' },
      add: { type: 'string', multiple: true },
    },
  });
  const runs = Number(values.runs);
  const settleMs = Number(values['settle-ms']);
  const keepBytes = Number(values['keep-mib']) * 2 ** 20;
  let base = [...(BASES[values.base] ?? BASES.daemon ?? []), ...splitFlags(values['extra-base'])];
  const wanted = values.only?.split(',');
  // `--add "name=--flag --flag"` tries an ad-hoc candidate.
  const adhoc = (values.add ?? []).map((spec): Candidate => {
    if (spec.startsWith('--')) return { name: spec, add: splitFlags(spec) };
    const at = spec.indexOf('=');
    return { name: spec.slice(0, at), add: splitFlags(spec.slice(at + 1)) };
  });
  const candidates = [...CANDIDATES.filter((c) => !wanted || wanted.includes(c.name)), ...adhoc];

  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  try {
    const dirs = await BenchDirs.create(cleanup);
    const ctx: BenchContext = { cleanup, dirs, browsers: benchBrowsers(), daemonNodeFlags: [] };
    const browser = values.browser === 'full' ? 'full' : 'shell';
    start = (authPath, flags) => startBare(ctx, authPath, { chromiumArgs: flags, browser });
    const template = await pairTemplate(ctx, 'bare', (authPath) => start(authPath, base));
    log(`browser: ${ctx.browsers[browser]}; base: ${base.join(' ')}`);

    const rows: string[][] = [
      [
        'candidate',
        'PSS MiB',
        'Δ PSS',
        'USS MiB',
        'Δ USS',
        'anon MiB',
        'Δ anon',
        'RSS MiB',
        'procs',
        'ready ms',
        'ping ok',
        values.cumulative ? 'kept' : '',
        'roles (PSS MiB)',
      ],
    ];
    for (const candidate of candidates) {
      const flags = applyCandidate(base, candidate);
      const baseRuns: Measured[] = [];
      const mine: Measured[] = [];
      for (let i = 0; i < runs; i++) {
        // Alternate which goes first so drift over time hits both alike.
        const order = i % 2 === 0 ? ['base', 'cand'] : ['cand', 'base'];
        for (const which of order) {
          const measured = await measureOnce(ctx, template, which === 'base' ? base : flags, settleMs);
          (which === 'base' ? baseRuns : mine).push(measured);
          log(`${which === 'base' ? '  current set' : candidate.name}: ${summary(measured)}`);
        }
      }
      const before = aggregate(baseRuns);
      const after = aggregate(mine);
      // Kept when it saves on both PSS and anon and never broke messaging.
      const saves = before.pss - after.pss >= keepBytes && before.anon - after.anon >= 0 && mine.every((m) => m.pingOk);
      const kept = values.cumulative && saves;
      rows.push(row(`${candidate.name} (vs current)`, after, before, values.cumulative ? (kept ? 'yes' : 'no') : ''));
      rows.push(row('  current set', before, before, ''));
      process.stdout.write(`${table(rows.slice(-2))}\n`);
      if (kept) base = flags;
    }
    process.stdout.write(`\n${table(rows)}\n`);
    if (values.cumulative) process.stdout.write(`\nfinal set: ${base.join(' ')}\n`);

    const stability = Number(values.stability);
    if (stability > 0) {
      const stabilityRows: string[][] = [['set', 'cycles ok', 'failures']];
      const sets: Array<[string, readonly string[]]> = values.cumulative
        ? [['final set', base]]
        : candidates.map((c) => [c.name, applyCandidate(base, c)]);
      for (const [name, flags] of sets) {
        const outcome = await stabilityCheck(ctx, template, flags, stability);
        stabilityRows.push([name, `${outcome.ok}/${stability}`, outcome.failures.join('; ').slice(0, 200)]);
      }
      process.stdout.write(`\n${table(stabilityRows)}\n`);
    }
  } finally {
    await cleanup.runAll();
  }
}

interface Measured {
  readonly memory: TreeMemory | null;
  readonly readyMs: number | null;
  readonly pingOk: boolean;
  readonly error: string | null;
}

async function measureOnce(ctx: BenchContext, template: string, flags: readonly string[], settleMs: number): Promise<Measured> {
  const authPath = await ctx.dirs.copyOf(template, 'sweep');
  const run = start(authPath, flags);
  try {
    const readyMs = await run.waitForReady(1, 45_000);
    await sleep(settleMs);
    const memory = await sampleMemory(run);
    const pingOk = await pingWorks(run);
    return { memory, readyMs, pingOk, error: null };
  } catch (error) {
    return { memory: null, readyMs: null, pingOk: false, error: String(error).split('\n')[0] ?? '' };
  } finally {
    await run.stop();
  }
}

/** `!ping` from the simulated phone, answered by the bare client's `pong`. */
async function pingWorks(run: BareRun): Promise<boolean> {
  const phone = await SimPhone.attach(run.profileDir, { timeoutMs: 15_000 });
  try {
    const { id } = await phone.incoming({ from: '15550002222@c.us', body: '!ping' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await phone.outbox()).some((e) => (e.quotedMsgId === id || e.quotedStanzaID === id) && e.body === 'pong')) return true;
      await sleep(100);
    }
    return false;
  } finally {
    await phone.detach();
  }
}

/** Restart, reconnect (socket CONFLICT: the library closes the browser), message: `cycles` times. */
async function stabilityCheck(
  ctx: BenchContext,
  template: string,
  flags: readonly string[],
  cycles: number,
): Promise<{ ok: number; failures: string[] }> {
  const authPath = await ctx.dirs.copyOf(template, 'stability');
  let ok = 0;
  const failures: string[] = [];
  for (let i = 0; i < cycles; i++) {
    const run = start(authPath, flags);
    try {
      await run.waitForReady(1, 45_000);
      if (!(await pingWorks(run))) throw new Error('no pong after restart');
      const phone = await SimPhone.attach(run.profileDir, { timeoutMs: 15_000 });
      await phone.setSocketState('CONFLICT').finally(() => phone.detach());
      await run.waitForEvent('disconnected', 1, 15_000);
      ok += 1;
    } catch (error) {
      failures.push(`#${i + 1}: ${String(error).split('\n')[0]}`);
    } finally {
      await run.stop();
    }
  }
  return { ok, failures };
}

function applyCandidate(base: readonly string[], candidate: Candidate): string[] {
  return [...base.filter((flag) => !(candidate.remove ?? []).includes(flag)), ...(candidate.add ?? [])];
}

function aggregate(runs: readonly Measured[]): {
  pss: number;
  uss: number;
  rss: number;
  anon: number;
  procs: number;
  readyMs: number;
  ping: string;
  roles: string;
} {
  const ok = runs.filter((r) => r.memory !== null);
  const pick = (f: (m: TreeMemory) => number): number => median(ok.map((r) => f(r.memory as TreeMemory)));
  const byPss = [...ok].sort((a, b) => (a.memory?.pss ?? 0) - (b.memory?.pss ?? 0));
  const middle = byPss[Math.floor(byPss.length / 2)]?.memory;
  return {
    pss: pick((m) => m.pss),
    uss: pick((m) => m.uss),
    rss: pick((m) => m.rss),
    anon: pick((m) => m.anon),
    procs: pick((m) => m.processes.length),
    readyMs: median(ok.map((r) => r.readyMs ?? Number.NaN)),
    ping: `${runs.filter((r) => r.pingOk).length}/${runs.length}`,
    roles: middle ? describeRoles(middle) : runs.map((r) => r.error).join('; '),
  };
}

function row(name: string, a: ReturnType<typeof aggregate>, b: ReturnType<typeof aggregate>, kept: string): string[] {
  const delta = (x: number, y: number): string => (a === b ? '' : `${x - y >= 0 ? '+' : ''}${mib(x - y)}`);
  return [
    name,
    String(mib(a.pss)),
    delta(a.pss, b.pss),
    String(mib(a.uss)),
    delta(a.uss, b.uss),
    String(mib(a.anon)),
    delta(a.anon, b.anon),
    String(mib(a.rss)),
    String(a.procs),
    String(Math.round(a.readyMs)),
    a.ping,
    kept,
    a.roles,
  ];
}

function summary(m: Measured): string {
  if (m.memory === null) return `FAILED ${m.error}`;
  return `PSS ${mib(m.memory.pss)} USS ${mib(m.memory.uss)} anon ${mib(m.memory.anon)} RSS ${mib(m.memory.rss)} MiB, ${m.memory.processes.length} procs, ready ${Math.round(m.readyMs ?? 0)} ms, ping ${m.pingOk ? 'ok' : 'FAILED'} [${describeRoles(m.memory)}]`;
}

function splitFlags(value: string): string[] {
  return value.split(/\s+/).filter((f) => f.length > 0);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`flags sweep failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
