/**
 * Simulated WhatsApp Web page for whatsapp-web.js 1.34.6 (see README.md next to this file).
 *
 * whatsapp-web.js, with `webVersionCache: { type: 'local', path: CACHE, strict: true }` and
 * `webVersion: V`, answers the request for exactly https://web.whatsapp.com/ with
 * `CACHE/<V>.html` through puppeteer request interception. This module renders that HTML: one
 * self-contained document (inline favicon, inline scripts, no other request) whose script
 * (page-script.js, inlined) implements window.Debug.VERSION, window.require(...) and the
 * window.__sim control object.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Default simulated WhatsApp Web version. The library parses it in two ways:
 *  - Client.inject(): `parseInt(version.split('.')[1]) >= 3000` -> "comet" code path
 *    (AuthStore.js / Store.js instead of the moduleRaid legacy path);
 *  - Store.js compareWwebVersions(): strips dots, right-pads with zeros and compares as Numbers;
 *    '>= 2.3000.1014111620' selects the reaction / poll-vote table hooks.
 * So it must be purely numeric (no '-sim' suffix) and >= 2.3000.1014111620.
 */
export const SIM_WEB_VERSION = '2.3000.1031000000';

export interface SimPageOptions {
  /** Reported as window.Debug.VERSION. Default SIM_WEB_VERSION. */
  version?: string;
  /** Rotate the QR (Conn.ref, change:ref) every N ms while UNPAIRED; 0 = never. Default 20000. */
  qrRotateMs?: number;
  /** Go to UNPAIRED_IDLE after N rotations, like the real page; 0 = never (default). */
  idleAfterQrs?: number;
  /** Set hasSynced right after CONNECTED, before the library listens: reproduces the 1.34.6 hang. */
  eagerSync?: boolean;
  /** Delay between "change:hasSynced listener registered" and hasSynced=true. Default 300. */
  syncDelayMs?: number;
  /** Delay between boot steps (UNLAUNCHED -> OPENING -> UNPAIRED|CONNECTED). Default 100. */
  bootDelayMs?: number;
  /** Delay between pairing steps after a scan (PAIRING -> OPENING -> CONNECTED). Default 150. */
  pairStepMs?: number;
  /** Remote logout: delay between Cmd 'logout' and the reload of https://web.whatsapp.com/. Default 500. */
  logoutReloadDelayMs?: number;
  /** Delay before AppState.takeover() returns to CONNECTED. Default 150. */
  takeoverDelayMs?: number;
  /** Outgoing messages get ack=1 after N ms; negative = never. Default 50. */
  ackDelayMs?: number;
  /** 5th part of the QR string. Default 'WEB'. */
  devicePlatform?: string;
  /** Conn.platform. Default 'android'. */
  phonePlatform?: string;
  /** IndexedDB database name. Default 'wa-sim'. */
  dbName?: string;
  /** console.log every sim event (visible via page.on('console')). */
  verbose?: boolean;
}

function findPageScript(): string {
  const candidates = [
    path.join(__dirname, 'page-script.js'),
    // When compiled to dist/, the .js asset is not copied: fall back to the source tree.
    path.resolve(__dirname, '..', '..', '..', 'test', 'sim', 'page-script.js'),
    path.resolve(process.cwd(), 'test', 'sim', 'page-script.js'),
  ];
  const hit = candidates.find((p) => existsSync(p));
  if (!hit) throw new Error(`sim page: page-script.js not found (looked in ${candidates.join(', ')})`);
  return hit;
}

let cachedScript: string | undefined;
function pageScript(): string {
  if (cachedScript === undefined) cachedScript = readFileSync(findPageScript(), 'utf8');
  return cachedScript;
}

/** JSON that is safe inside an inline <script> (no "</script>", no U+2028/2029 surprises). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The whole HTML document served as https://web.whatsapp.com/. */
export function renderSimPage(opts: SimPageOptions = {}): string {
  const config: SimPageOptions = { ...opts, version: opts.version ?? SIM_WEB_VERSION };
  const version = config.version as string;
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`sim page: version must look like 2.3000.N (numbers only), got ${JSON.stringify(version)}`);
  }
  const script = pageScript();
  if (/<\/script/i.test(script)) throw new Error('sim page: page-script.js must not contain "</script"');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<title>WhatsApp</title>',
    // Inline favicon: any other URL would go to the (absent) network.
    '<link rel="icon" href="data:,">',
    `<meta name="wa-sim-version" content="${version}">`,
    `<script>window.__SIM_CONFIG__ = ${scriptJson(config)};</script>`,
    `<script>\n${script}\n</script>`,
    '</head>',
    '<body style="font-family: sans-serif">',
    '<h1>WhatsApp Web (wa-tether simulator)</h1>',
    '<p id="sim-status">booting...</p>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Writes `<cacheDir>/<version>.html` (the file LocalWebCache serves) and returns its path.
 * Rewriting it between client runs is fine: the library reads it at every initialize().
 */
export async function writeSimPage(
  cacheDir: string,
  version: string = SIM_WEB_VERSION,
  opts: SimPageOptions = {},
): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${version}.html`);
  await writeFile(file, renderSimPage({ ...opts, version }), 'utf8');
  return file;
}

/** For tests that want to read back what was written. */
export async function readSimPage(cacheDir: string, version: string = SIM_WEB_VERSION): Promise<string> {
  return readFile(path.join(cacheDir, `${version}.html`), 'utf8');
}
