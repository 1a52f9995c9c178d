import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ClientOptions } from './wa-client';
import type { WwebjsClient, WwebjsClientOptions } from './wwebjs-client';

/**
 * The library and its dependencies, in the order they load. `require` is synchronous: loading
 * whatsapp-web.js in one go stalls the process for 300-800 ms (more on a busy CPU), during which
 * nothing answers, /api/health included. One step at a time, with a turn of the event loop in
 * between, the longest stall is the largest step (~80 ms here). Deep paths, because both
 * packages are pinned exactly; a step that fails to load only means a bigger next step.
 */
const LOAD_STEPS: readonly string[] = [
  'puppeteer-core/internal/common/Debug.js',
  'puppeteer-core/internal/api/api.js',
  'puppeteer-core/internal/cdp/cdp.js',
  'puppeteer-core/internal/index-browser.js',
  '@puppeteer/browsers',
  'puppeteer-core/internal/node/node.js',
  'puppeteer-core',
  'puppeteer',
  'node-fetch',
  'mime',
  'fluent-ffmpeg',
  'node-webpmux',
  'whatsapp-web.js/src/structures',
  'whatsapp-web.js/src/util/Injected/Utils',
  'whatsapp-web.js/src/Client',
  'whatsapp-web.js/src/authStrategies/LocalAuth',
];

async function loadAdapter(): Promise<typeof import('./wwebjs-client')> {
  for (const step of LOAD_STEPS) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded a step at a time, synchronously, between event-loop turns
      require(step);
    } catch {
      // Moved in another release: the adapter's own require below loads it instead.
    }
    await yieldToEventLoop();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the adapter loads the library: only at the first client
  return require('./wwebjs-client') as typeof import('./wwebjs-client');
}

/**
 * The factory the daemon runs with: each call makes a fresh whatsapp-web.js client. The library
 * is loaded at the first call, after the HTTP server answers, not at process start.
 */
export function wwebjsClientFactory(options: Omit<WwebjsClientOptions, 'pairingPhoneNumber'>): (perClient: ClientOptions) => Promise<WwebjsClient> {
  let adapter: Promise<typeof import('./wwebjs-client')> | null = null;
  return async (perClient) => {
    adapter ??= loadAdapter();
    const { WwebjsClient } = await adapter;
    return new WwebjsClient({ ...options, pairingPhoneNumber: perClient.pairingPhoneNumber });
  };
}
