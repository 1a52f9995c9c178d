/**
 * Sections 5 and 6 on one daemon: `!ping` latency at a steady rate, then memory growth
 * after those messages and after repeated reconnect cycles, against the first `ready`.
 *
 * Reconnect cycles alternate the two ways a connection is lost: WhatsApp dropping it (the
 * socket goes to CONFLICT; the library closes the browser itself) and Chromium dying
 * (SIGKILL of the browser process). Either way the daemon backs off, relaunches and is
 * `ready` again with the session kept.
 *
 * Growth samples are taken halfway and at the end of each phase, so a step (warm-up: heaps
 * sized up once) can be told from a slope (a leak). Before each one the page's V8 heap and
 * node's are collected (what DevTools' "collect garbage" does; node's through its inspector,
 * opened with SIGUSR1), so garbage waiting for a GC does not count as growth.
 *
 * The simulated WhatsApp Web keeps every message in its collections, as a page with the chat
 * open would: the page's own growth. A control run, the bare client on the headless shell with
 * the daemon's flags, takes the same messages, so what the page retains by itself can be told
 * from what the daemon adds.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { findProfileProcesses } from '../../src/chromium/chromium-processes';
import { SimPhone } from '../../test/sim';
import { type BenchContext, type DaemonRun, startContender, startDaemon } from './contenders';
import { NodeInspector } from '../../test/support/node-inspector';
import { describeRoles, type TreeMemory } from './memory';
import { sampleMemory } from './sample';
import { median, percentile } from './stats';

export interface ControlGrowth {
  readonly atReady: TreeMemory;
  readonly halfMessages: TreeMemory;
  readonly afterMessages: TreeMemory;
}

export interface BotSection {
  readonly messages: number;
  readonly ratePerSec: number;
  readonly answered: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly reconnects: number;
  readonly reconnectsOk: number;
  /** Median time from losing the connection to `ready` again. */
  readonly reconnectMs: number;
  readonly atReady: TreeMemory;
  readonly halfMessages: TreeMemory;
  readonly afterMessages: TreeMemory;
  readonly halfReconnects: TreeMemory;
  readonly afterReconnects: TreeMemory;
  /** The bare client on the same messages: the page's own growth. */
  readonly control: ControlGrowth;
}

export interface BotOptions {
  readonly template: string;
  /** A paired profile of the `bare-shell` contender, for the control run. */
  readonly controlTemplate: string;
  readonly messages: number;
  readonly ratePerSec: number;
  readonly reconnects: number;
  readonly settleMs: number;
  readonly log: (line: string) => void;
}

const CONTACT = '15550002222@c.us';

export async function botAndGrowth(ctx: BenchContext, options: BotOptions): Promise<BotSection> {
  const authPath = await ctx.dirs.copyOf(options.template, 'bot');
  // A short backoff keeps 20 reconnect cycles within the bench's time budget. Replies go
  // through the outbox's budget toward WhatsApp: at the defaults (30 a minute, 1 s per chat)
  // the figure would be the pacing, so the run gets the highest budget and no per-chat gap;
  // likewise the bot's own limits (10 commands a minute per chat by default) are raised to
  // their highest, or the run would measure the gate dropping commands.
  const daemon = await startDaemon(ctx, authPath, {
    env: {
      RECONNECT_BASE_MS: '200',
      RECONNECT_MAX_MS: '1000',
      SEND_RATE_PER_MINUTE: '600',
      SEND_CHAT_GAP_MS: '0',
      BOT_RATE_PER_CHAT_PER_MINUTE: '600',
      BOT_RATE_GLOBAL_PER_MINUTE: '6000',
    },
  });
  let inspector: NodeInspector | null = null;
  try {
    await daemon.waitForReady();
    inspector = await NodeInspector.attach(daemon.child.pid);
    const sample = async (label: string): Promise<TreeMemory> => {
      await sleep(options.settleMs);
      await collectPageGarbage(daemon);
      await inspector?.collectGarbage();
      const memory = await sampleMemory(daemon);
      options.log(`  ${label}: ${describe(memory)}`);
      return memory;
    };
    const atReady = await sample('at first ready');

    const half = Math.floor(options.messages / 2);
    const first = await withPhone(daemon, (phone) => pingAtRate(phone, half, options.ratePerSec));
    const halfMessages = await sample(`after ${half} messages`);
    const second = await withPhone(daemon, (phone) => pingAtRate(phone, options.messages - half, options.ratePerSec));
    const afterMessages = await sample(`after ${options.messages} messages`);
    const latencies = [...first, ...second];
    const latency = {
      answered: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
    };
    options.log(
      `  ${latency.answered}/${options.messages} answered at ${options.ratePerSec} msg/s: p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms`,
    );

    const halfCycles = Math.floor(options.reconnects / 2);
    const firstCycles = await reconnectCycles(daemon, 1, halfCycles, options.log);
    const halfReconnects = await sample(`after ${halfCycles} reconnects`);
    const secondCycles = await reconnectCycles(daemon, halfCycles + 1, options.reconnects, options.log);
    const afterReconnects = await sample(`after ${options.reconnects} reconnects`);
    const times = [...firstCycles.times, ...secondCycles.times];
    inspector?.close();
    inspector = null;
    await daemon.stop();
    const control = await controlRun(ctx, options);

    return {
      messages: options.messages,
      ratePerSec: options.ratePerSec,
      ...latency,
      reconnects: options.reconnects,
      reconnectsOk: times.length,
      reconnectMs: median(times),
      atReady,
      halfMessages,
      afterMessages,
      halfReconnects,
      afterReconnects,
      control,
    };
  } finally {
    inspector?.close();
    await daemon.stop();
  }
}

/** The bare client on the headless shell with the daemon's flags, through the same messages. */
async function controlRun(ctx: BenchContext, options: BotOptions): Promise<ControlGrowth> {
  const run = startContender(ctx, 'bare-shell', await ctx.dirs.copyOf(options.controlTemplate, 'control'));
  let inspector: NodeInspector | null = null;
  try {
    await run.waitForReady();
    inspector = await NodeInspector.attach(run.child.pid);
    const sample = async (label: string): Promise<TreeMemory> => {
      await sleep(options.settleMs);
      await collectPageGarbage(run);
      await inspector?.collectGarbage();
      const memory = await sampleMemory(run);
      options.log(`  control (bare shell) ${label}: ${describe(memory)}`);
      return memory;
    };
    const atReady = await sample('at first ready');
    const half = Math.floor(options.messages / 2);
    await withPhone(run, (phone) => pingAtRate(phone, half, options.ratePerSec));
    const halfMessages = await sample(`after ${half} messages`);
    await withPhone(run, (phone) => pingAtRate(phone, options.messages - half, options.ratePerSec));
    const afterMessages = await sample(`after ${options.messages} messages`);
    return { atReady, halfMessages, afterMessages };
  } finally {
    inspector?.close();
    await run.stop();
  }
}

async function withPhone<T>(run: { readonly profileDir: string }, use: (phone: SimPhone) => Promise<T>): Promise<T> {
  const phone = await SimPhone.attach(run.profileDir, { timeoutMs: 30_000 });
  try {
    return await use(phone);
  } finally {
    await phone.detach();
  }
}

/** A full GC of the page's V8 heap, through a DevTools session of our own. */
async function collectPageGarbage(run: { readonly profileDir: string }): Promise<void> {
  await withPhone(run, async (phone) => {
    const session = await (await phone.page()).createCDPSession();
    try {
      await session.send('HeapProfiler.collectGarbage');
    } finally {
      await session.detach();
    }
  });
}

/**
 * Sends `count` distinct `!ping`s at a steady `rate` (scheduled, not paced by replies) and
 * times each to its `pong` in the simulator's outbox. Both timestamps come from the same
 * clock: ours just before the phone sends, the page's when the reply reached its outbox.
 */
async function pingAtRate(phone: SimPhone, count: number, rate: number): Promise<number[]> {
  await phone.clearOutbox();
  const sentAt = new Map<string, number>();
  const sends: Array<Promise<unknown>> = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const stanza = randomBytes(16).toString('hex').toUpperCase();
    const at = Date.now();
    sends.push(
      phone.incoming({ from: CONTACT, body: '!ping', id: stanza }).then(({ id }) => {
        sentAt.set(id, at);
        sentAt.set(stanza, at);
      }),
    );
  }
  await Promise.all(sends);
  const deadline = Date.now() + 30_000;
  while ((await phone.state()).outboxCount < count && Date.now() < deadline) await sleep(250);
  const latencies: number[] = [];
  for (const entry of await phone.outbox()) {
    const sent = sentAt.get(entry.quotedMsgId ?? '') ?? sentAt.get(entry.quotedStanzaID ?? '');
    if (entry.body === 'pong' && sent !== undefined) latencies.push(entry.at - sent);
  }
  // The sim keeps every reply in its outbox (and persists it on each send): empty it, so
  // the page's own bookkeeping is not counted as the daemon's growth.
  await phone.clearOutbox();
  return latencies;
}

async function reconnectCycles(daemon: DaemonRun, from: number, to: number, log: (line: string) => void): Promise<{ times: number[] }> {
  const times: number[] = [];
  for (let i = from; i <= to; i++) {
    const readyBefore = daemon.countState('ready');
    const how = i % 2 === 1 ? 'socket CONFLICT' : 'browser SIGKILL';
    const started = Date.now();
    try {
      if (how === 'socket CONFLICT') {
        await withPhone(daemon, (phone) => phone.setSocketState('CONFLICT'));
      } else {
        await killBrowser(daemon.profileDir);
      }
      await daemon.waitForReady(readyBefore + 1, 60_000);
      times.push(Date.now() - started);
    } catch (error) {
      log(`  reconnect ${i} (${how}) failed: ${String(error).split('\n')[0]}`);
      // Whatever state it is in, the next cycle needs a ready daemon.
      await daemon.waitForReady(readyBefore + 1, 60_000).catch(() => undefined);
    }
  }
  log(`  reconnect cycles ${from}-${to}: ${times.length}/${to - from + 1} back to ready, median ${Math.round(median(times))} ms`);
  return { times };
}

/** SIGKILL to the browser's main process (the one without `--type=`), as a crash would. */
async function killBrowser(profileDir: string): Promise<void> {
  for (const { pid } of await findProfileProcesses(profileDir)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline !== '' && !cmdline.includes('--type=') && !cmdline.includes('crashpad')) {
      process.kill(pid, 'SIGKILL');
      return;
    }
  }
  throw new Error('no browser process found to kill');
}

function describe(memory: TreeMemory): string {
  const m = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  return `PSS ${m(memory.pss)} USS ${m(memory.uss)} anon ${m(memory.anon)} RSS ${m(memory.rss)} MiB (node PSS ${m(memory.node.pss)}) [${describeRoles(memory)}]`;
}
