/**
 * Turns the measurements into the printed tables, a PASS/MISS per target, and
 * one final JSON line (MiB, ms, req/s) with every figure and ratio.
 */
import type { BotSection } from './bot-growth';
import type { HttpSection, LoadResult } from './http-load';
import type { Latencies, MessagingSection } from './messaging';
import type { BrowserRow } from './browser-table';
import type { Smaps, TreeMemory } from './memory';
import type { ContenderKind } from './contenders';
import { formatPostgres, postgresJson, type PostgresSection } from './postgres';
import type { ReadyRun } from './ready-runs';
import { median, mib, ratio, round, spread, table } from './stats';

export interface BenchOptions {
  readonly runs: number;
  readonly settleMs: number;
  readonly idleMs: number;
  readonly growthSettleMs: number;
  readonly loadSec: number;
  readonly loadRounds: number;
  readonly connections: number;
  readonly rate: number;
  readonly messages: number;
  readonly msgRate: number;
  readonly reconnects: number;
  readonly sends: number;
  readonly tableRuns: number;
  readonly sendRate: number;
  readonly incoming: number;
  readonly incomingRate: number;
  readonly plantedFiles: number;
  readonly plantedBytes: number;
  readonly nodeFlags: readonly string[];
  readonly quick: boolean;
}

export interface ReportInput {
  readonly options: BenchOptions;
  readonly ready: readonly ReadyRun[];
  readonly http: HttpSection;
  readonly bot: BotSection;
  readonly messaging: MessagingSection;
  readonly postgres: PostgresSection;
  readonly browserTable: readonly BrowserRow[];
  readonly elapsedSec: number;
  readonly chromium: string;
}

/** The targets, as ratios or bounds. */
const TARGET = {
  pssRatio: 0.45,
  shellPssRatio: 0.85,
  readyRatio: 1.0,
  idleRatio: 1.0,
  healthMs: 300,
  healthP99Ms: 5,
  throughputRatio: 0.8,
  /** Growth counts as noise below the larger of the run-to-run spread and this share of the baseline. */
  growthFloor: 0.05,
} as const;

type Metric = keyof Smaps;
const METRICS: readonly Metric[] = ['pss', 'uss', 'rss', 'anon'];
const METRIC_NAMES: Record<Metric, string> = {
  pss: 'PSS MiB',
  uss: 'USS MiB (private)',
  rss: 'RSS MiB (over-counts shared)',
  anon: 'anon+shmem PSS MiB',
};

export function report(input: ReportInput): string {
  const { options, ready, http, bot, messaging } = input;
  const of = (kind: ContenderKind): ReadyRun[] => ready.filter((r) => r.kind === kind);
  const daemon = of('daemon');
  const bare = of('bare');
  const shell = of('bare-shell');
  const memMedian = (runs: readonly ReadyRun[], metric: Metric): number => median(runs.map((r) => r.memory[metric]));
  const part = (runs: readonly ReadyRun[], which: 'node' | 'chromium'): number => median(runs.map((r) => r.memory[which].pss));

  const memory = Object.fromEntries(
    METRICS.map((metric) => {
      const d = memMedian(daemon, metric);
      const b = memMedian(bare, metric);
      const sh = memMedian(shell, metric);
      return [metric, { daemon: mib(d), bare: mib(b), ratio: round(ratio(d, b), 3), bareShell: mib(sh), shellRatio: round(ratio(d, sh), 3) }];
    }),
  ) as Record<Metric, { daemon: number; bare: number; ratio: number; bareShell: number; shellRatio: number }>;
  const readyOf = (runs: readonly ReadyRun[]): number => median(runs.map((r) => r.readyMs));
  const idleOf = (runs: readonly ReadyRun[]): number => median(runs.map((r) => r.idle.cpuSecPerMin));
  const readyD = readyOf(daemon);
  const readyB = readyOf(bare);
  const readyS = readyOf(shell);
  const idleD = idleOf(daemon);
  const idleB = idleOf(bare);
  const idleS = idleOf(shell);
  const healthMs = median(daemon.map((r) => r.healthMs ?? Number.NaN));
  const processesOf = (runs: readonly ReadyRun[]): number => median(runs.map((r) => r.memory.processes.length));
  const processes = { daemon: processesOf(daemon), bare: processesOf(bare), bareShell: processesOf(shell) };

  const growth = growthOf(bot, daemon);
  // The 60 s refresh may land in the window; a walk per request would give one value per probe.
  const allowedCheckedAt = http.checkedAtAllowed;
  const statusNeverWalks = http.checkedAtDistinct <= allowedCheckedAt && http.status.p50Ms < http.walkMs;

  const verdicts: Array<[string, string, string, boolean]> = [
    [
      'ready-state PSS vs bare client (defaults, full Chromium)',
      `${fmt(memory.pss.ratio, 3)}x (${memory.pss.daemon} vs ${memory.pss.bare} MiB)`,
      `<= ${TARGET.pssRatio}x`,
      memory.pss.ratio <= TARGET.pssRatio,
    ],
    [
      'ready-state PSS vs bare client (shell, same flags)',
      `${fmt(memory.pss.shellRatio, 3)}x (${memory.pss.daemon} vs ${memory.pss.bareShell} MiB)`,
      `<= ${TARGET.shellPssRatio}x`,
      memory.pss.shellRatio <= TARGET.shellPssRatio,
    ],
    [
      'restored start to ready vs bare',
      `${fmt(ratio(readyD, readyB), 3)}x (${Math.round(readyD)} vs ${Math.round(readyB)} ms)`,
      `<= ${TARGET.readyRatio}x`,
      ratio(readyD, readyB) <= TARGET.readyRatio,
    ],
    [
      'idle CPU vs bare',
      `${fmt(ratio(idleD, idleB), 3)}x (${fmt(idleD, 2)} vs ${fmt(idleB, 2)} CPU s/min)`,
      `<= ${TARGET.idleRatio}x`,
      ratio(idleD, idleB) <= TARGET.idleRatio,
    ],
    ['process start to /api/health 200', `${Math.round(healthMs)} ms`, `<= ${TARGET.healthMs} ms`, healthMs <= TARGET.healthMs],
    [
      `/api/health p99 at ${options.rate} req/s`,
      `${fmt(http.healthAtRate.p99Ms, 2)} ms`,
      `<= ${TARGET.healthP99Ms} ms`,
      http.healthAtRate.p99Ms <= TARGET.healthP99Ms && http.healthAtRate.errors === 0,
    ],
    [
      '/api/health throughput vs bare route',
      `${fmt(ratio(http.health.rps, http.bare.rps), 3)}x (${Math.round(http.health.rps)} vs ${Math.round(http.bare.rps)} req/s)`,
      `>= ${TARGET.throughputRatio}x`,
      ratio(http.health.rps, http.bare.rps) >= TARGET.throughputRatio,
    ],
    [
      'status route never walks the profile',
      `${http.checkedAtDistinct} checkedAt in ${http.checkedAtProbes} probes; p50 ${fmt(http.status.p50Ms, 2)} ms vs one walk ${Math.round(http.walkMs)} ms`,
      `<= ${allowedCheckedAt} checkedAt`,
      statusNeverWalks,
    ],
    // Growth over the second half of each phase against the first: a one-time step (heaps
    // sized up, code first run) is not a leak; growth per message or per cycle is.
    [
      `2nd-half growth, ${bot.messages} messages, beyond the page's own`,
      `${growthText(growth.secondHalfMessages)} (bare shell: ${growthText(growth.controlSecondHalf)})`,
      `<= noise ${mib(growth.noise.pss)} MiB PSS`,
      growth.beyondControl.ok,
    ],
    [
      `2nd-half growth, ${bot.reconnects} reconnects`,
      `${growthText(growth.secondHalfReconnects)}; ${bot.reconnectsOk}/${bot.reconnects} back to ready`,
      `<= noise ${mib(growth.noise.pss)} MiB PSS`,
      growth.secondHalfReconnects.ok && bot.reconnectsOk === bot.reconnects,
    ],
  ];

  const lines: string[] = [];
  lines.push(
    '',
    `wa-tether bench: ${input.chromium}, node ${process.version}, ${options.runs} runs each, settle ${options.settleMs} ms${options.quick ? ' (--quick)' : ''}`,
  );
  lines.push(
    '',
    '1-3. Ready state (medians; restored start of a paired profile; sums over node + every Chromium process).' +
      " bare: a whatsapp-web.js Client with the library defaults on the full Chromium; bare shell: the same Client on the headless shell with the daemon's flags",
  );
  lines.push(
    table([
      ['figure', 'wa-tether', 'bare', 'ratio', 'bare shell', 'ratio'],
      ...METRICS.map((metric) => [
        METRIC_NAMES[metric],
        String(memory[metric].daemon),
        String(memory[metric].bare),
        fmt(memory[metric].ratio, 3),
        String(memory[metric].bareShell),
        fmt(memory[metric].shellRatio, 3),
      ]),
      ...(['node', 'chromium'] as const).map((which) => [
        `  of which ${which === 'node' ? 'node' : 'Chromium'} PSS MiB`,
        String(mib(part(daemon, which))),
        String(mib(part(bare, which))),
        fmt(ratio(part(daemon, which), part(bare, which)), 3),
        String(mib(part(shell, which))),
        fmt(ratio(part(daemon, which), part(shell, which)), 3),
      ]),
      ['processes', String(processes.daemon), String(processes.bare), '', String(processes.bareShell), ''],
      [
        'PSS run-to-run spread MiB',
        String(mib(spread(daemon.map((r) => r.memory.pss)))),
        String(mib(spread(bare.map((r) => r.memory.pss)))),
        '',
        String(mib(spread(shell.map((r) => r.memory.pss)))),
        '',
      ],
      [
        'restored start to ready ms',
        String(Math.round(readyD)),
        String(Math.round(readyB)),
        fmt(ratio(readyD, readyB), 3),
        String(Math.round(readyS)),
        fmt(ratio(readyD, readyS), 3),
      ],
      [
        `idle CPU s/min (${Math.round(options.idleMs / 1000)} s window)`,
        fmt(idleD, 2),
        fmt(idleB, 2),
        fmt(ratio(idleD, idleB), 3),
        fmt(idleS, 2),
        fmt(ratio(idleD, idleS), 3),
      ],
      ['process start to /api/health 200 ms', String(Math.round(healthMs)), '', '', '', ''],
    ]),
  );
  lines.push(
    '',
    `4. HTTP under load (loopback, ${options.connections} connections, medians of ${options.loadRounds} round${options.loadRounds === 1 ? '' : 's'} of ${options.loadSec} s; profile planted with ${http.planted.files} files / ${Math.round(http.planted.bytes / 2 ** 20)} MiB, status reports ${mib(http.statusSize)} MiB)`,
  );
  lines.push(
    table([
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
      ...[http.bare, http.health, http.status, http.healthAtRate, http.bareAtRate].map(loadRow),
    ]),
  );
  lines.push(
    '',
    `5. Bot: ${bot.messages} x !ping at ${bot.ratePerSec} msg/s, to pong in the simulator's outbox: ${bot.answered} answered, p50 ${fmt(bot.p50Ms, 1)} ms, p99 ${fmt(bot.p99Ms, 1)} ms, max ${fmt(bot.maxMs, 1)} ms`,
  );
  lines.push(
    '',
    `6. Growth (one daemon, then the bare shell client as control; MiB; sampled ${options.growthSettleMs / 1000} s after each phase, the page's and node's V8 heaps collected first;` +
      ` noise = max(run-to-run spread of ready PSS, ${TARGET.growthFloor * 100}%) = ${mib(growth.noise.pss)} MiB PSS / ${mib(growth.noise.anon)} MiB anon)`,
  );
  lines.push(
    table([
      ['point', 'PSS', 'Δ PSS', 'anon', 'Δ anon', 'node PSS', 'Δ node', 'processes'],
      growthRow('first ready', bot.atReady, bot.atReady),
      growthRow(`after ${Math.floor(bot.messages / 2)} messages`, bot.halfMessages, bot.atReady),
      growthRow(`after ${bot.messages} messages`, bot.afterMessages, bot.atReady),
      growthRow(`after ${Math.floor(bot.reconnects / 2)} reconnects`, bot.halfReconnects, bot.atReady),
      growthRow(`after ${bot.reconnects} reconnects`, bot.afterReconnects, bot.atReady),
      growthRow('control (bare shell): first ready', bot.control.atReady, bot.control.atReady),
      growthRow(`control: after ${Math.floor(bot.messages / 2)} messages`, bot.control.halfMessages, bot.control.atReady),
      growthRow(`control: after ${bot.messages} messages`, bot.control.afterMessages, bot.control.atReady),
    ]),
  );
  lines.push('', `7. Messaging (SEND_RATE_PER_MINUTE=${messaging.sendBudgetPerMinute}, SEND_CHAT_GAP_MS=0, 10 chats)`);
  lines.push(
    table([
      ['path', 'rate', 'done', 'p50 ms', 'p99 ms', 'max ms'],
      latencyRow('POST /api/messages -> simulator outbox', messaging.sends),
      latencyRow('incoming message -> signed webhook POST', messaging.webhooks),
    ]),
  );
  lines.push(
    '',
    `8. Browsers (a bare whatsapp-web.js Client; medians of ${options.tableRuns} run${options.tableRuns === 1 ? '' : 's'}; PSS over the whole tree)`,
  );
  lines.push(
    table([
      ['browser', 'flags', 'PSS MiB', 'processes', 'ready ms'],
      ...input.browserTable.map((row) => [
        row.browser === 'full' ? 'chromium (new headless)' : 'chromium-headless-shell',
        row.flags,
        String(mib(row.pss)),
        String(row.processes),
        String(Math.round(row.readyMs)),
      ]),
    ]),
  );
  lines.push('', formatPostgres(input.postgres));
  lines.push('', 'Targets');
  lines.push(
    table([['target', 'measured', 'goal', 'result'], ...verdicts.map(([name, value, goal, ok]) => [name, value, goal, ok ? 'PASS' : 'MISS'])]),
  );
  lines.push('', `elapsed ${Math.round(input.elapsedSec)} s`, '');

  const json = {
    bench: 'wa-tether',
    chromium: input.chromium,
    node: process.version,
    options,
    ready: {
      memoryMiB: memory,
      nodePssMiB: { daemon: mib(part(daemon, 'node')), bare: mib(part(bare, 'node')), bareShell: mib(part(shell, 'node')) },
      chromiumPssMiB: { daemon: mib(part(daemon, 'chromium')), bare: mib(part(bare, 'chromium')), bareShell: mib(part(shell, 'chromium')) },
      processes,
      readyMs: { daemon: Math.round(readyD), bare: Math.round(readyB), bareShell: Math.round(readyS), ratio: round(ratio(readyD, readyB), 3) },
      idleCpuSecPerMin: { daemon: round(idleD, 3), bare: round(idleB, 3), bareShell: round(idleS, 3), ratio: round(ratio(idleD, idleB), 3) },
      healthMs: Math.round(healthMs),
      runs: ready.map((r) => ({
        kind: r.kind,
        readyMs: Math.round(r.readyMs),
        healthMs: r.healthMs === null ? null : Math.round(r.healthMs),
        pssMiB: mib(r.memory.pss),
        ussMiB: mib(r.memory.uss),
        rssMiB: mib(r.memory.rss),
        anonMiB: mib(r.memory.anon),
        processes: r.memory.processes.length,
        idleCpuSecPerMin: round(r.idle.cpuSecPerMin, 3),
      })),
    },
    http: {
      bare: loadJson(http.bare),
      health: loadJson(http.health),
      status: loadJson(http.status),
      healthAtRate: loadJson(http.healthAtRate),
      bareAtRate: loadJson(http.bareAtRate),
      healthThroughputRatio: round(ratio(http.health.rps, http.bare.rps), 3),
      statusThroughputRatio: round(ratio(http.status.rps, http.bare.rps), 3),
      planted: { files: http.planted.files, MiB: mib(http.planted.bytes) },
      statusSizeMiB: mib(http.statusSize),
      walkMs: round(http.walkMs, 1),
      checkedAt: { probes: http.checkedAtProbes, distinct: http.checkedAtDistinct, allowed: http.checkedAtAllowed },
    },
    bot: {
      messages: bot.messages,
      ratePerSec: bot.ratePerSec,
      answered: bot.answered,
      p50Ms: round(bot.p50Ms, 1),
      p99Ms: round(bot.p99Ms, 1),
      maxMs: round(bot.maxMs, 1),
    },
    browserTable: input.browserTable.map((row) => ({
      browser: row.browser,
      flags: row.flags,
      pssMiB: mib(row.pss),
      processes: row.processes,
      readyMs: Math.round(row.readyMs),
      runs: row.runs,
    })),
    messaging: { sends: latencyJson(messaging.sends), webhooks: latencyJson(messaging.webhooks), sendBudgetPerMinute: messaging.sendBudgetPerMinute },
    postgres: postgresJson(input.postgres),
    growth: {
      points: Object.fromEntries(
        (
          [
            ['atReady', bot.atReady],
            ['halfMessages', bot.halfMessages],
            ['afterMessages', bot.afterMessages],
            ['halfReconnects', bot.halfReconnects],
            ['afterReconnects', bot.afterReconnects],
            ['controlAtReady', bot.control.atReady],
            ['controlHalfMessages', bot.control.halfMessages],
            ['controlAfterMessages', bot.control.afterMessages],
          ] as const
        ).map(([name, m]) => [name, { pssMiB: mib(m.pss), anonMiB: mib(m.anon), nodePssMiB: mib(m.node.pss), processes: m.processes.length }]),
      ),
      noiseMiB: { pss: mib(growth.noise.pss), anon: mib(growth.noise.anon) },
      settleMs: options.growthSettleMs,
      reconnects: bot.reconnects,
      reconnectsOk: bot.reconnectsOk,
      reconnectMedianMs: Math.round(bot.reconnectMs),
    },
    targets: Object.fromEntries(verdicts.map(([name, value, goal, ok]) => [name, { measured: value, goal, pass: ok }])),
    elapsedSec: Math.round(input.elapsedSec),
  };
  lines.push(JSON.stringify(json));
  return `${lines.join('\n')}\n`;
}

interface Growth {
  readonly noise: { pss: number; anon: number };
  readonly afterMessages: GrowthStep;
  readonly afterReconnects: GrowthStep;
  readonly secondHalfMessages: GrowthStep;
  readonly secondHalfReconnects: GrowthStep;
  /** The control's (bare shell) second half of the messages: what the page keeps by itself. */
  readonly controlSecondHalf: GrowthStep;
  /** The daemon's second half minus the control's. */
  readonly beyondControl: GrowthStep;
}

interface GrowthStep {
  readonly pss: number;
  readonly anon: number;
  readonly ok: boolean;
}

/**
 * Growth beyond noise on both PSS and anon+shmem. PSS moves with what else on the machine
 * maps Chromium's libraries, so its noise is the spread measured across the ready runs of
 * this same bench; anon+shmem does not, and gets the same rule on its own spread.
 */
function growthOf(bot: BotSection, daemonRuns: readonly ReadyRun[]): Growth {
  const noise = {
    pss: Math.max(spread(daemonRuns.map((r) => r.memory.pss)), TARGET.growthFloor * bot.atReady.pss),
    anon: Math.max(spread(daemonRuns.map((r) => r.memory.anon)), TARGET.growthFloor * bot.atReady.anon),
  };
  const step = (m: TreeMemory, from: TreeMemory = bot.atReady): GrowthStep => {
    const pss = m.pss - from.pss;
    const anon = m.anon - from.anon;
    return { pss, anon, ok: pss <= noise.pss && anon <= noise.anon };
  };
  return {
    noise,
    afterMessages: step(bot.afterMessages),
    afterReconnects: step(bot.afterReconnects),
    secondHalfMessages: step(bot.afterMessages, bot.halfMessages),
    secondHalfReconnects: step(bot.afterReconnects, bot.halfReconnects),
    controlSecondHalf: step(bot.control.afterMessages, bot.control.halfMessages),
    beyondControl: (() => {
      const pss = bot.afterMessages.pss - bot.halfMessages.pss - (bot.control.afterMessages.pss - bot.control.halfMessages.pss);
      const anon = bot.afterMessages.anon - bot.halfMessages.anon - (bot.control.afterMessages.anon - bot.control.halfMessages.anon);
      return { pss, anon, ok: pss <= noise.pss && anon <= noise.anon };
    })(),
  };
}

function growthText(step: GrowthStep): string {
  return `${signed(mib(step.pss))} MiB PSS, ${signed(mib(step.anon))} MiB anon`;
}

function growthRow(name: string, m: TreeMemory, base: TreeMemory): string[] {
  const delta = (a: number, b: number): string => (m === base ? '' : signed(mib(a - b)));
  return [
    name,
    String(mib(m.pss)),
    delta(m.pss, base.pss),
    String(mib(m.anon)),
    delta(m.anon, base.anon),
    String(mib(m.node.pss)),
    delta(m.node.pss, base.node.pss),
    String(m.processes.length),
  ];
}

function loadRow(r: LoadResult): string[] {
  return [r.target, String(Math.round(r.rps)), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), String(r.errors), String(r.non2xx)];
}

function loadJson(r: LoadResult): Record<string, unknown> {
  return {
    rps: Math.round(r.rps),
    p50Ms: round(r.p50Ms, 2),
    p99Ms: round(r.p99Ms, 2),
    requests: r.requests,
    errors: r.errors,
    non2xx: r.non2xx,
    rate: r.rate,
    rounds: r.rounds,
  };
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value}`;
}

function latencyRow(name: string, l: Latencies): string[] {
  return [name, `${l.ratePerSec}/s`, `${l.done}/${l.count}`, fmt(l.p50Ms, 1), fmt(l.p99Ms, 1), fmt(l.maxMs, 1)];
}

function latencyJson(l: Latencies): Record<string, number> {
  return { count: l.count, ratePerSec: l.ratePerSec, done: l.done, p50Ms: round(l.p50Ms, 1), p99Ms: round(l.p99Ms, 1), maxMs: round(l.maxMs, 1) };
}
