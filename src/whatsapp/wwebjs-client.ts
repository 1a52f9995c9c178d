import { Client, type Message } from 'whatsapp-web.js';
import { AppError } from '../errors';
import { type Browser, type HTTPRequest, InterceptResolutionAction, type Page } from 'puppeteer';
import { TetherAuth } from './tether-auth';
import type { IncomingMessage, WaClient, WaClientEvent, WaClientFactory } from './wa-client';
import type { PairedAccount } from '../session/session-state';

export interface WwebjsClientOptions {
  readonly clientId: string;
  readonly authPath: string;
  readonly webCachePath: string;
  readonly webVersion: string | null;
  readonly webCacheStrict: boolean;
  readonly webVersionRemotePath: string | null;
  readonly executablePath: string;
  readonly args: readonly string[];
  readonly takeoverOnConflict: boolean;
  readonly takeoverTimeoutMs: number;
  /** Per CDP call; a hung page otherwise blocks a call for puppeteer's default 180 s. */
  readonly protocolTimeoutMs?: number;
}

/** The factory the daemon runs with: each call makes a fresh whatsapp-web.js Client. */
export function wwebjsClientFactory(options: WwebjsClientOptions): WaClientFactory {
  return () => new WwebjsClient(options);
}

/**
 * Owns one whatsapp-web.js `Client`; nothing else in the daemon touches it. Re-emits the
 * library's events as `WaClientEvent`s, each listener guarded.
 */
class WwebjsClient implements WaClient {
  private readonly client: Client;
  private readonly listeners: Array<(event: WaClientEvent) => void> = [];

  constructor(private readonly options: WwebjsClientOptions) {
    this.client = new Client({
      authStrategy: new TetherAuth({
        clientId: options.clientId,
        dataPath: options.authPath,
        onBrowser: (browser) => this.watchBrowser(browser),
        onHandlerError: (error) => this.emit({ type: 'internal_error', error }),
      }),
      ...(options.webVersion === null ? {} : { webVersion: options.webVersion }),
      // The local cache serves WEB_CACHE_PATH/<webVersion>.html when present (and saves the live
      // page there after a live load); the remote one is opt-in, for pinning a build from an archive.
      webVersionCache:
        options.webVersionRemotePath === null
          ? { type: 'local', path: options.webCachePath, strict: options.webCacheStrict }
          : { type: 'remote', remotePath: options.webVersionRemotePath, strict: options.webCacheStrict },
      takeoverOnConflict: options.takeoverOnConflict,
      takeoverTimeoutMs: options.takeoverTimeoutMs,
      puppeteer: {
        executablePath: options.executablePath,
        headless: true,
        args: [...options.args],
        protocolTimeout: options.protocolTimeoutMs ?? 60_000,
        // The daemon owns signals: puppeteer's own handlers would kill Chromium and
        // call process.exit() behind the supervisor's back on SIGTERM/SIGINT.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      },
    });
    this.wireEvents();
  }

  onEvent(listener: (event: WaClientEvent) => void): void {
    this.listeners.push(listener);
  }

  async initialize(): Promise<void> {
    try {
      await this.client.initialize();
    } catch (error) {
      throw this.explain(error);
    }
  }

  /**
   * A pinned build missing from a strict local cache is a setting to fix, not a connection to
   * retry. The library's VersionResolveError sets no `name`, hence the constructor check.
   */
  private explain(error: unknown): unknown {
    const missingBuild = error instanceof Error && error.constructor.name === 'VersionResolveError';
    if (!missingBuild || this.options.webVersionRemotePath !== null) return error;
    return new AppError(
      'WEB_VERSION_UNAVAILABLE',
      `WEB_VERSION=${this.options.webVersion} is not in WEB_CACHE_PATH (${this.options.webCachePath}) and WEB_CACHE_STRICT=true forbids loading it live. To resolve, put ${this.options.webVersion}.html there, set WEB_CACHE_STRICT=false, or unset WEB_VERSION.`,
      { cause: error },
    );
  }

  async destroy(): Promise<void> {
    await this.client.destroy();
  }

  async logout(): Promise<void> {
    await this.client.logout();
  }

  async getState(): Promise<string | null> {
    // 1.34.7 reads Socket.state: 'UNPAIRED' before login, and it still answers 'CONNECTED' for
    // a page that synced before the library listened (authenticated/ready never come). Only
    // the supervisor's timers see such a hang; this call only proves the page answers.
    const state: unknown = await this.client.getState();
    return typeof state === 'string' ? state : null;
  }

  private watchBrowser(browser: Browser): void {
    browser.on('disconnected', () => this.emit({ type: 'browser_disconnected' }));
    // Runs before the library adds its own request handler (initWebVersionCache), which
    // is what skipUnneededRequests relies on.
    const page = this.client.pupPage;
    if (page) skipUnneededRequests(page);
  }

  private wireEvents(): void {
    const client = this.client;
    client.on('qr', (payload: string) => this.emit({ type: 'qr', payload }));
    client.on('authenticated', () => this.emit({ type: 'authenticated' }));
    client.on('auth_failure', (message: unknown) => this.emit({ type: 'auth_failure', message: String(message) }));
    client.on('ready', () => this.emit({ type: 'ready', me: this.me() }));
    client.on('disconnected', (reason: unknown) => this.emit({ type: 'disconnected', reason: String(reason) }));
    client.on('change_state', (state: unknown) => this.emit({ type: 'change_state', state: String(state) }));
    client.on('message', (message: Message) => this.emit({ type: 'message', message: toIncoming(message) }));
    // 1.34.7: a message still encrypted 15 s after it arrived, after a resend request to the phone.
    client.on('message_ciphertext_failed', (message: Message) =>
      this.emit({ type: 'message_undecryptable', id: message.id._serialized, chatId: message.from }),
    );
  }

  private me(): PairedAccount | null {
    const info = this.client.info as { wid?: { user?: string }; pushname?: string } | undefined;
    const id = info?.wid?.user;
    if (!id) return null;
    return { id, name: info?.pushname || null };
  }

  private emit(event: WaClientEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop the others nor reach the library's emitter;
        // the supervisor's listener logs its own errors.
      }
    }
  }
}

/**
 * What a bot never looks at: pictures (avatars, stickers, link previews), audio/video
 * elements and web fonts. Blocking them keeps their bytes and decoded images out of the
 * page. Media a bot downloads or sends goes through fetch/XHR and blob: URLs, which are
 * other resource types and never reach this handler.
 */
const UNNEEDED_RESOURCE_TYPES: ReadonlySet<string> = new Set(['image', 'media', 'font']);

/**
 * Aborts requests for `UNNEEDED_RESOURCE_TYPES` while request interception is on. With a
 * local web version cache, whatsapp-web.js turns interception on and its handler, added
 * after this one, calls `continue()` on every request but the page itself, in puppeteer's
 * legacy (non-cooperative) mode: a second resolution of a request throws "Request is
 * already handled!" as an unhandled rejection. So for a request aborted here, later
 * resolutions become no-ops. Without interception (no local cache) nothing is blocked.
 */
function skipUnneededRequests(page: Page): void {
  page.on('request', (request: HTTPRequest) => {
    if (!UNNEEDED_RESOURCE_TYPES.has(request.resourceType())) return;
    if (request.interceptResolutionState().action !== InterceptResolutionAction.None) return;
    const abort = request.abort.bind(request);
    const alreadyHandled = (): Promise<void> => Promise.resolve();
    Object.assign(request, { continue: alreadyHandled, respond: alreadyHandled, abort: alreadyHandled });
    abort('blockedbyclient').catch(() => undefined);
  });
}

function toIncoming(message: Message): IncomingMessage {
  return {
    from: message.from,
    body: message.body ?? '',
    fromMe: message.fromMe,
    isStatus: message.isStatus === true || message.from === 'status@broadcast',
    reply: async (text: string) => {
      await message.reply(text);
    },
  };
}
