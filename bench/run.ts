/**
 * `npm run bench`: wa-tether vs a bare whatsapp-web.js Client, side by side, on the simulated
 * WhatsApp Web of the end-to-end suite. Not part of `npm test`.
 *
 *   npm run bench                     full run (about 9 minutes on 2 cores)
 *   npm run bench -- --quick          fewer runs, shorter loads (about 2-3 minutes)
 *   npm run bench -- --runs 7         more ready-state runs per contender (default 5)
 *   npm run bench -- --only postgres  only the PostgreSQL section (about 2 minutes)
 *   npm run bench -- --help           every option
 *
 * It builds the daemon (`npm run build`) and runs `node dist/src/main.js` with the node flags
 * of render.yaml's startCommand: the production start path. Progress goes to stderr; the
 * tables, the verdict per target and one final JSON line with every figure go to stdout.
 * Every process and temp dir it makes is removed at the end, on failure and on Ctrl-C.
 *
 * Memory is sampled 20 s after `ready` by default: long enough for V8's memory reducer to
 * shrink node's heap after the start burst (10-15 s after ready here), short of the 30 s
 * after which this machine's DAMON reclaim pages out idle file pages.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { botAndGrowth } from './lib/bot-growth';
import { Cleanup } from './lib/cleanup';
import { type BenchContext, benchBrowsers, REPO_ROOT } from './lib/contenders';
import { BenchDirs } from './lib/dirs';
import { httpLoad } from './lib/http-load';
import { messagingLatency } from './lib/messaging';
import { browserTable } from './lib/browser-table';
import { pairTemplate } from './lib/pairing';
import { formatMedia, mediaSection } from './lib/media';
import { formatPostgres, postgresJson, postgresSection } from './lib/postgres';
import { formatReady, readyRuns } from './lib/ready-runs';
import { type BenchOptions, report } from './lib/report';
import { parseEnv, renderRuntimeEnv, renderStartFlags } from './lib/start-flags';

const HELP = `Usage: npm run bench -- [options]
  --runs N            ready-state runs per contender, rotating (default 5; --quick 2)
  --idle-ms MS        idle CPU window after each ready-state sample (default 30000; --quick 10000)
  --settle-ms MS      wait after ready before sampling memory (default 20000; --quick 5000)
  --growth-settle-ms  wait before each growth sample (default 20000)
  --load-sec S        seconds per HTTP load run (default 5; --quick 3)
  --load-rounds N     rounds of HTTP load runs, medians reported (default 3; --quick 1)
  --connections N     autocannon connections (default 10)
  --rate N            fixed request rate for the /api/health p99 run (default 1000)
  --messages N        !ping messages for latency and growth (default 1000; --quick 100)
  --msg-rate N        messages per second (default 8: under the highest send budget, 10/s)
  --reconnects N      reconnect cycles for growth (default 20; --quick 4)
  --sends N           API sends for send-to-delivery latency (default 200; --quick 50)
  --send-rate N       API sends per second (default 5; the daemon's budget tops out at 10/s)
  --incoming N        incoming messages for webhook latency (default 400; --quick 100)
  --incoming-rate N   incoming messages per second (default 20)
  --table-runs N      runs per set-up of the browser table (default 3; --quick 1)
  --node-flags=...    node flags for the daemon, e.g. --node-flags='--max-semi-space-size=2'
                      (default: those of render.yaml's startCommand, i.e. what Render runs)
  --lease-ttl-ms MS   LEASE_TTL_MS for section 9's crash takeover (default 30000, the daemon's; --quick 6000)
  --only postgres     only section 9 (PostgreSQL), about 2 minutes
  --only media        only section 10 (5 MiB images to the phone, the PSS peak of a 16 MiB send), about 1 minute
  --only growth       only sections 5-6 (bot latency and growth)
  --only ready        only sections 1-3 (ready-state memory, restored start, idle CPU), with the ratios
  --daemon-env='K=V ...'  environment for the daemon (default: what render.yaml sets for the runtime, e.g. MALLOC_ARENA_MAX)
  --skip-build        use dist/ as it is
  --quick             fewer runs and shorter loads, for a smoke test of the bench itself
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      'idle-ms': { type: 'string' },
      'settle-ms': { type: 'string' },
      'growth-settle-ms': { type: 'string' },
      'load-sec': { type: 'string' },
      'load-rounds': { type: 'string' },
      connections: { type: 'string', default: '10' },
      rate: { type: 'string', default: '1000' },
      messages: { type: 'string' },
      'msg-rate': { type: 'string', default: '8' },
      reconnects: { type: 'string' },
      sends: { type: 'string' },
      'table-runs': { type: 'string' },
      'send-rate': { type: 'string', default: '5' },
      incoming: { type: 'string' },
      'incoming-rate': { type: 'string', default: '20' },
      'node-flags': { type: 'string' },
      'daemon-env': { type: 'string' },
      'lease-ttl-ms': { type: 'string' },
      only: { type: 'string' },
      'skip-build': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const quick = values.quick;
  const num = (value: string | undefined, full: number, short: number): number => {
    const n = value === undefined ? (quick ? short : full) : Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`not a number: ${value}`);
    return n;
  };
  const daemonEnv = values['daemon-env'] === undefined ? renderRuntimeEnv() : parseEnv(values['daemon-env']);
  const nodeFlags = values['node-flags'] === undefined ? renderStartFlags() : values['node-flags'].split(/\s+/).filter((f) => f.length > 0);
  const options: BenchOptions = {
    runs: Math.max(1, num(values.runs, 5, 2)),
    settleMs: num(values['settle-ms'], 20_000, 5_000),
    idleMs: num(values['idle-ms'], 30_000, 10_000),
    growthSettleMs: num(values['growth-settle-ms'], 20_000, 20_000),
    loadSec: num(values['load-sec'], 5, 3),
    loadRounds: Math.max(1, num(values['load-rounds'], 3, 1)),
    connections: num(values.connections, 10, 10),
    rate: num(values.rate, 1000, 1000),
    messages: num(values.messages, 1000, 100),
    msgRate: num(values['msg-rate'], 8, 8),
    reconnects: num(values.reconnects, 20, 4),
    sends: num(values.sends, 200, 50),
    tableRuns: Math.max(1, num(values['table-runs'], 3, 1)),
    sendRate: num(values['send-rate'], 5, 5),
    incoming: num(values.incoming, 400, 100),
    incomingRate: num(values['incoming-rate'], 20, 20),
    plantedFiles: 10_000,
    plantedBytes: 200 * 2 ** 20,
    nodeFlags,
    quick,
  };
  const browsers = benchBrowsers();

  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  const started = Date.now();
  try {
    if (!values['skip-build']) build();
    const dirs = await BenchDirs.create(cleanup);
    const ctx: BenchContext = { cleanup, dirs, browsers, daemonNodeFlags: nodeFlags, daemonEnv };
    log(
      `daemon: ${Object.entries(daemonEnv)
        .map(([k, v]) => `${k}=${v} `)
        .join(
          '',
        )}node ${[...nodeFlags, 'dist/src/main.js'].join(' ')} on ${browsers.shell}; bare: node bench/bare-client.cjs on ${browsers.full} (library defaults) and on the shell with the daemon's flags; ${chromiumVersion(browsers.full)}`,
    );

    const postgresOptions = {
      leaseTtlMs: num(values['lease-ttl-ms'], 30_000, 6_000),
      settleMs: options.settleMs,
      sends: Math.min(options.sends, 100),
      sendRatePerSec: options.sendRate,
      log,
    };
    const mediaOptions = { sends: quick ? 5 : 20, settleMs: options.settleMs, log };
    if (values.only === 'growth') {
      const template = await pairTemplate(ctx, 'daemon');
      const control = await pairTemplate(ctx, 'bare-shell');
      log(`5-6. bot latency (${options.messages} x !ping at ${options.msgRate}/s) and growth (${options.reconnects} reconnects)`);
      const bot = await botAndGrowth(ctx, {
        template,
        controlTemplate: control,
        messages: options.messages,
        ratePerSec: options.msgRate,
        reconnects: options.reconnects,
        settleMs: options.growthSettleMs,
        log,
      });
      const mibOf = (m: { pss: number; anon: number }): string => `PSS ${(m.pss / 2 ** 20).toFixed(1)} anon ${(m.anon / 2 ** 20).toFixed(1)}`;
      process.stdout.write(
        `growth: first ready ${mibOf(bot.atReady)}; after ${Math.floor(options.reconnects / 2)} reconnects ${mibOf(bot.halfReconnects)}; after ${options.reconnects} ${mibOf(bot.afterReconnects)}; ${bot.reconnectsOk}/${bot.reconnects} back to ready\n`,
      );
      return;
    }
    if (values.only === 'media') {
      const template = await pairTemplate(ctx, 'daemon');
      log(`10. media: ${mediaOptions.sends} x 5 MiB image API -> phone, then one 16 MiB document with the tree's PSS sampled`);
      const section = await mediaSection(ctx, { ...mediaOptions, template });
      process.stdout.write(`${formatMedia(section)}\n${JSON.stringify({ elapsedSec: Math.round((Date.now() - started) / 1000), media: section })}\n`);
      return;
    }
    if (values.only === 'ready') {
      log('pairing one profile per contender (QR, scan, ready, stop)...');
      const templates = {
        daemon: await pairTemplate(ctx, 'daemon'),
        bare: await pairTemplate(ctx, 'bare'),
        'bare-shell': await pairTemplate(ctx, 'bare-shell'),
      };
      log(`1-3. ready-state memory, restored start, idle CPU: ${options.runs} runs each, rotating, settle ${options.settleMs} ms`);
      const ready = await readyRuns(ctx, { runs: options.runs, settleMs: options.settleMs, idleMs: options.idleMs, templates, log });
      process.stdout.write(`${formatReady(ready)}\n`);
      return;
    }
    if (values.only !== undefined) {
      if (values.only !== 'postgres') throw new Error(`--only takes "postgres", "growth", "media" or "ready" (got "${values.only}")`);
      const template = await pairTemplate(ctx, 'daemon');
      log('9. PostgreSQL: saves, a host move, a handover, a crash takeover, sends, memory');
      const section = await postgresSection(ctx, { ...postgresOptions, template });
      process.stdout.write(
        `${formatPostgres(section)}\n${JSON.stringify({ elapsedSec: Math.round((Date.now() - started) / 1000), postgres: postgresJson(section) })}\n`,
      );
      return;
    }

    log('pairing one profile per contender (QR, scan, ready, stop)...');
    const templates = {
      daemon: await pairTemplate(ctx, 'daemon'),
      bare: await pairTemplate(ctx, 'bare'),
      'bare-shell': await pairTemplate(ctx, 'bare-shell'),
    };

    log(
      `1-3. ready-state memory, restored start, health, idle CPU: ${options.runs} runs each, rotating, settle ${options.settleMs} ms, idle window ${options.idleMs} ms`,
    );
    const ready = await readyRuns(ctx, { runs: options.runs, settleMs: options.settleMs, idleMs: options.idleMs, templates, log });

    log(`4. HTTP under load: ${options.loadRounds} rounds of ${options.loadSec} s per target, ${options.connections} connections`);
    const http = await httpLoad(ctx, {
      template: templates.daemon,
      rounds: options.loadRounds,
      durationSec: options.loadSec,
      connections: options.connections,
      rate: options.rate,
      files: options.plantedFiles,
      bytes: options.plantedBytes,
      log,
    });

    log(`5-6. bot latency (${options.messages} x !ping at ${options.msgRate}/s) and growth (${options.reconnects} reconnects)`);
    const bot = await botAndGrowth(ctx, {
      template: templates.daemon,
      controlTemplate: templates['bare-shell'],
      messages: options.messages,
      ratePerSec: options.msgRate,
      reconnects: options.reconnects,
      settleMs: options.growthSettleMs,
      log,
    });

    log(
      `7. messaging: ${options.sends} API sends at ${options.sendRate}/s to delivery; ${options.incoming} incoming at ${options.incomingRate}/s to the webhook`,
    );
    const messaging = await messagingLatency(ctx, {
      template: templates.daemon,
      sends: options.sends,
      sendRatePerSec: options.sendRate,
      incoming: options.incoming,
      incomingRatePerSec: options.incomingRate,
      log,
    });

    log(`8. browser table: a bare client on each browser with the library's flags and with ours, ${options.tableRuns} runs each`);
    const browsers8 = await browserTable(ctx, { runs: options.tableRuns, settleMs: options.settleMs, log });

    log('9. PostgreSQL: saves, a host move, a handover, a crash takeover, sends, memory');
    const postgres = await postgresSection(ctx, { ...postgresOptions, template: templates.daemon });

    log(`10. media: ${mediaOptions.sends} x 5 MiB image API -> phone, then one 16 MiB document with the tree's PSS sampled`);
    const media = await mediaSection(ctx, { ...mediaOptions, template: templates.daemon });

    const output = report({
      options,
      ready,
      http,
      bot,
      messaging,
      postgres,
      browserTable: browsers8,
      elapsedSec: (Date.now() - started) / 1000,
      chromium: chromiumVersion(browsers.full),
    });
    process.stdout.write(`${output}\n${formatMedia(media)}\n${JSON.stringify({ media })}\n`);
  } finally {
    await cleanup.runAll();
  }
}

function build(): void {
  log('building: npm run build');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error('npm run build failed; fix the build (or pass --skip-build to use dist/ as it is)');
}

function chromiumVersion(chromePath: string): string {
  const result = spawnSync(chromePath, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return (result.stdout ?? '').trim() || 'unknown';
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
  // Every daemon was stopped on the way out (finally blocks); a timer or socket left behind
  // must not keep a failed bench running.
  process.exit(1);
});
