'use strict';
/**
 * The baseline of `npm run bench`: a BARE whatsapp-web.js Client with the library's default
 * options, in its own node process so that process is measured the same way as the daemon's.
 *
 * Only what is needed to run here and reach the simulated page is set: `--no-sandbox` (we run
 * as root), the browser path, and the local web version cache pinned to the sim's version.
 * BENCH_CHROMIUM_ARGS (a JSON array) replaces the args; `bench/flags.ts` uses it to try flags.
 * BENCH_HEADLESS=shell launches chrome-headless-shell in its (old) headless mode.
 *
 * Plain CommonJS run by plain `node` (no tsx), like the built daemon: a loader in this process
 * would be counted against the baseline.
 *
 * Protocol: one JSON object per stdout line ({"event":"qr"}, {"event":"ready"}, ...); the
 * line "stop" on stdin destroys the client (closing Chromium cleanly, which flushes the
 * profile) and exits.
 */
const { Client, LocalAuth } = require('whatsapp-web.js');

const env = process.env;
const args = env.BENCH_CHROMIUM_ARGS ? JSON.parse(env.BENCH_CHROMIUM_ARGS) : ['--no-sandbox'];

const client = new Client({
  authStrategy: new LocalAuth({ clientId: env.BENCH_CLIENT_ID, dataPath: env.BENCH_AUTH_PATH }),
  webVersion: env.BENCH_WEB_VERSION,
  webVersionCache: { type: 'local', path: env.BENCH_CACHE_PATH, strict: true },
  // BENCH_HEADLESS=shell for chrome-headless-shell; otherwise the library's default (true).
  puppeteer: { executablePath: env.CHROME_PATH, args, ...(env.BENCH_HEADLESS === 'shell' ? { headless: 'shell' } : {}) },
});

function report(event, extra) {
  process.stdout.write(`${JSON.stringify({ event, ...extra })}\n`);
}

for (const name of ['qr', 'authenticated', 'auth_failure', 'ready', 'disconnected']) {
  client.on(name, (arg) => report(name, name === 'qr' ? {} : { arg: String(arg) }));
}
client.on('message', (message) => {
  // Mirrors the daemon's `!ping` so the two could be compared on messages too.
  if (message.body === '!ping') message.reply('pong').catch((error) => report('error', { message: String(error) }));
});
process.on('unhandledRejection', (reason) => report('unhandledRejection', { message: String(reason) }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await client.destroy();
  } catch (error) {
    report('error', { message: `destroy: ${String(error)}` });
  }
  process.exit(0);
}

let input = '';
process.stdin.on('data', (chunk) => {
  input += chunk.toString('utf8');
  if (input.includes('stop\n')) void stop();
});
process.stdin.on('end', () => void stop());

client.initialize().catch((error) => report('error', { message: `initialize: ${String(error)}` }));
