/**
 * The adapter around whatsapp-web.js: the one place that knows how the pinned release (1.34.7)
 * behaves. Nothing else in the daemon touches the library's `Client`.
 */
import type { Browser } from 'puppeteer';
import type { Message } from 'whatsapp-web.js';
import { handlePipeErrors } from '../chromium/browser-pipes';
import type { BrowserMode } from '../config/find-browser';
import { AppError } from '../common/errors';
import type { PairedAccount } from './wa-client';
import { createAuthStrategy } from './auth-strategy';
import { skipUnneededRequests } from './request-filter';
import { dropStaged, stageFile } from './stage-file';
import { toIncoming } from './to-incoming';
import type { MediaSendOptions, OutgoingFile, SendOptions, SentMessage, WaClient, WaClientEvent } from './wa-client';

export interface WwebjsClientOptions {
  readonly clientId: string;
  readonly authPath: string;
  readonly webCachePath: string;
  readonly webVersion: string | null;
  readonly webCacheStrict: boolean;
  readonly webVersionRemotePath: string | null;
  readonly executablePath: string;
  /** `shell`: chrome-headless-shell (old headless); `full`: Chromium's new headless mode. */
  readonly browserMode: BrowserMode;
  readonly args: readonly string[];
  /** The browser's whole environment (the daemon's secrets left out). */
  readonly env: Readonly<Record<string, string>>;
  readonly takeoverOnConflict: boolean;
  readonly takeoverTimeoutMs: number;
  /** Per CDP call; a hung page otherwise blocks a call for puppeteer's default 180 s. */
  readonly protocolTimeoutMs?: number;
  /** Pair by a code for this number instead of a QR. */
  readonly pairingPhoneNumber: string | null;
  /** How often the page asks WhatsApp for a new code while unpaired (the library's default: 180 s). */
  readonly pairingCodeIntervalMs: number;
  /** The pid of each browser launched, once it answers (every wrapper script has exec'd by then). */
  readonly onBrowserProcess?: (pid: number) => void;
}

/**
 * The `Client` class without the package's index: the index also loads RemoteAuth, whose
 * optional archiver/unzipper dependencies cost ~170 ms and ~10 MB the daemon never uses.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the Client's own file, see above
const Client = require('whatsapp-web.js/src/Client') as typeof import('whatsapp-web.js').Client;
type Client = InstanceType<typeof Client>;
// The library's sendMessage tells media by `instanceof` its own MessageMedia: this is that class.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the same module Client.js loads, see above
const MessageMedia = require('whatsapp-web.js/src/structures/MessageMedia') as typeof import('whatsapp-web.js').MessageMedia;

/** Re-emits the library's events as `WaClientEvent`s, each listener guarded. */
export class WwebjsClient implements WaClient {
  private readonly client: Client;
  private readonly listeners: Array<(event: WaClientEvent) => void> = [];

  constructor(private readonly options: WwebjsClientOptions) {
    this.client = new Client({
      authStrategy: createAuthStrategy(options, {
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
      // Given before initialize(), as 1.34.7 wants: requestPairingCode on a client started for
      // a QR can hang. With it the library registers the code flow instead of the QR one.
      ...(options.pairingPhoneNumber === null
        ? {}
        : { pairWithPhoneNumber: { phoneNumber: options.pairingPhoneNumber, showNotification: true, intervalMs: options.pairingCodeIntervalMs } }),
      puppeteer: {
        executablePath: options.executablePath,
        headless: options.browserMode === 'shell' ? 'shell' : true,
        args: [...options.args],
        env: { ...options.env },
        // DevTools over a pipe, not a port: with --remote-debugging-port any local process
        // (any user) could take over the logged-in session. CHROMIUM_ARGS may add one back.
        pipe: true,
        protocolTimeout: options.protocolTimeoutMs ?? 60_000,
        // The daemon owns signals: puppeteer's own handlers would kill Chromium and
        // call process.exit() behind the supervisor's back on SIGTERM/SIGINT.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      },
    });
    this.wireEvents();
    this.catchPairingCodeFailures();
  }

  /**
   * 1.34.7's initialize() calls `this.requestPairingCode(...)` and never awaits it, so a refusal
   * ("rate-overlimit") would be an unhandled rejection. Wrapping the instance's method catches
   * it where it starts and makes it an event.
   */
  private catchPairingCodeFailures(): void {
    const client = this.client;
    const original = client.requestPairingCode.bind(client);
    client.requestPairingCode = (...args) => {
      const asked = original(...args);
      asked.catch((error: unknown) => this.emit({ type: 'code_failed', error }));
      return asked;
    };
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

  async sendText(chatId: string, text: string, options: SendOptions = {}): Promise<SentMessage> {
    // ignoreQuoteErrors (the default) sends without the quote when the quoted message is gone.
    const sent = (await this.client.sendMessage(chatId, text, {
      ...(options.quotedMessageId === undefined ? {} : { quotedMessageId: options.quotedMessageId }),
    })) as Message | undefined;
    // sendMessage answers undefined when WhatsApp Web has no chat for the id.
    if (!sent) throw new AppError('INVALID_CHAT', `WhatsApp has no chat ${chatId}. To resolve, check the number or group id.`);
    return { id: sent.id._serialized, timestamp: sent.timestamp };
  }

  async sendMedia(chatId: string, file: OutgoingFile, options: MediaSendOptions): Promise<SentMessage> {
    const page = this.client.pupPage;
    if (!page) throw new AppError('NOT_READY', 'WhatsApp Web is not open; the file is sent once it is.');
    // A sticker is converted from the base64 in node and in the page (Util.formatToWebpSticker),
    // so it goes as the library takes it; every other file is staged into the page in chunks.
    const data = options.asSticker ? file.bytes.toString('base64') : await stageFile(page, file.bytes);
    const media = new MessageMedia(file.mimetype, data, file.filename, file.bytes.length);
    let sent: Message | undefined;
    try {
      sent = await this.client.sendMessage(chatId, media, {
        ...(options.caption === '' ? {} : { caption: options.caption }),
        ...(options.quotedMessageId === undefined ? {} : { quotedMessageId: options.quotedMessageId }),
        sendMediaAsDocument: options.asDocument,
        sendAudioAsVoice: options.asVoice,
        sendMediaAsSticker: options.asSticker,
      });
    } finally {
      if (!options.asSticker) await dropStaged(page, data);
    }
    if (!sent) throw new AppError('INVALID_CHAT', `WhatsApp has no chat ${chatId}. To resolve, check the number or group id.`);
    return { id: sent.id._serialized, timestamp: sent.timestamp };
  }

  /** The browser the library launched, while it runs; for the demo's simulated phone only. */
  browser(): Browser | null {
    const browser = this.client.pupBrowser as Browser | null | undefined;
    return browser?.connected ? browser : null;
  }

  async requestPairingCode(phoneNumber: string): Promise<void> {
    // The code arrives through the 'code' event; a failure through the wrapper's event.
    await this.client.requestPairingCode(phoneNumber, true, this.options.pairingCodeIntervalMs).catch(() => undefined);
  }

  async stopPairingCodes(): Promise<void> {
    const page = this.client.pupPage;
    if (!page) return;
    await page.evaluate(() => {
      const scope = window as unknown as { codeInterval?: ReturnType<typeof setInterval> };
      if (scope.codeInterval !== undefined) clearInterval(scope.codeInterval);
      scope.codeInterval = undefined;
    });
  }

  async resolveNumber(digits: string): Promise<string | null> {
    const wid = (await this.client.getNumberId(digits)) as { _serialized?: unknown } | null;
    return typeof wid?._serialized === 'string' ? wid._serialized : null;
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

  private watchBrowser(browser: Browser): void {
    browser.on('disconnected', () => this.emit({ type: 'browser_disconnected' }));
    const child = browser.process();
    // A dead pipe's EPIPE adds nothing to 'disconnected', which reports the browser's end.
    handlePipeErrors(child, () => undefined);
    if (child?.pid !== undefined) this.options.onBrowserProcess?.(child.pid);
    // Runs before the library adds its own request handler (initWebVersionCache), which
    // is what skipUnneededRequests relies on.
    const page = this.client.pupPage;
    if (page) skipUnneededRequests(page);
  }

  private wireEvents(): void {
    const client = this.client;
    client.on('qr', (payload: string) => this.emit({ type: 'qr', payload }));
    client.on('code', (code: unknown) => this.emit({ type: 'code', code: String(code) }));
    client.on('authenticated', () => this.emit({ type: 'authenticated' }));
    client.on('auth_failure', (message: unknown) => this.emit({ type: 'auth_failure', message: String(message) }));
    client.on('ready', () => this.emit({ type: 'ready', me: this.me() }));
    // 1.34.7 emits 'LOGOUT' for Cmd 'logout' and 'logout_from_bridge' alike; other reasons are
    // socket states (UNPAIRED, CONFLICT, ...) after which it closes the browser itself.
    client.on('disconnected', (reason: unknown) => this.emit({ type: 'disconnected', reason: String(reason) }));
    client.on('change_state', (state: unknown) => this.emit({ type: 'change_state', state: String(state) }));
    client.on('message', (message: Message) => this.emit({ type: 'message', message: toIncoming(message) }));
    client.on('message_ack', (message: Message, ack: unknown) => {
      if (message.fromMe) this.emit({ type: 'message_ack', id: message.id._serialized, ack: Number(ack) });
    });
    // A message still encrypted 15 s after it arrived, after a resend request to the phone.
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
