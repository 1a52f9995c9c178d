/**
 * The HTML of the simulated WhatsApp Web (see README.md next to this file).
 *
 * whatsapp-web.js, with `webVersionCache: { type: 'local', path: CACHE }` and `webVersion: V`,
 * answers the request for exactly https://web.whatsapp.com/ with `CACHE/<V>.html` through
 * puppeteer request interception. This renders that file: one self-contained document (inline
 * favicon, one inline script bundled from `page/`, no other request).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { DEFAULT_SIM_CONFIG, type SimPageOptions } from './page/config';

/**
 * The simulated WhatsApp Web version. whatsapp-web.js compares versions by stripping the dots,
 * padding with zeros and comparing the numbers, so it must be digits and dots only.
 */
export const SIM_WEB_VERSION = DEFAULT_SIM_CONFIG.version;

let bundled: string | null = null;

/**
 * `page/main.ts`: beside this file when it runs from source (tests, tsx); from the build
 * (dist/test/sim, the demo), the same file in the repository, since tsc compiles only what the
 * daemon imports and esbuild bundles the browser code from its sources.
 */
function pageEntry(): string {
  const beside = path.join(__dirname, 'page', 'main.ts');
  if (existsSync(beside)) return beside;
  return path.resolve(__dirname, '..', '..', '..', 'test', 'sim', 'page', 'main.ts');
}

/** `page/main.ts` and what it imports, as one script for the browser (built once per process). */
function pageScript(): string {
  if (bundled !== null) return bundled;
  const result = buildSync({
    entryPoints: [pageEntry()],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'chrome120',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error('sim page: esbuild produced no output');
  if (/<\/script/i.test(script)) throw new Error('sim page: the page script must not contain "</script"');
  bundled = script;
  return script;
}

/** JSON that is safe inside an inline <script>. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The whole HTML document served as https://web.whatsapp.com/. */
export function renderSimPage(options: SimPageOptions = {}): string {
  const version = options.version ?? SIM_WEB_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`sim page: version must look like 2.3000.N (digits only), got ${JSON.stringify(version)}`);
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<title>WhatsApp</title>',
    // Inline favicon: any other URL would go to the (absent) network.
    '<link rel="icon" href="data:,">',
    `<script>window.__SIM_CONFIG__ = ${scriptJson({ ...options, version })};</script>`,
    `<script>\n${pageScript()}\n</script>`,
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
 * Writes `<cacheDir>/<version>.html` (the file the library's local web cache serves) and returns
 * its path. Rewriting it between launches is fine: the library reads it at every initialize().
 */
export async function writeSimPage(cacheDir: string, options: SimPageOptions = {}): Promise<string> {
  const version = options.version ?? SIM_WEB_VERSION;
  await mkdir(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${version}.html`);
  await writeFile(file, renderSimPage({ ...options, version }), 'utf8');
  return file;
}
