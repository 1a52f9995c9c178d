import type {
  ClientOptions,
  IncomingMessage,
  MediaSendOptions,
  OutgoingFile,
  SendOptions,
  SentMessage,
  WaClient,
  WaClientEvent,
  WaClientFactory,
} from '../../src/whatsapp/wa-client';
import { deferred, never, type Deferred } from './deferred';

/** One ordered record of what every fake was asked to do, e.g. "client#1.destroy", "guard.wipe". */
export class Journal {
  readonly entries: string[] = [];

  record(entry: string): void {
    this.entries.push(entry);
  }

  indexOf(entry: string): number {
    return this.entries.indexOf(entry);
  }

  count(entry: string): number {
    return this.entries.filter((e) => e === entry).length;
  }
}

/** How a fake call ends: settle now, never settle, fail with this error, or wait for the test. */
export type Outcome = 'resolve' | 'hang' | 'manual' | { readonly reject: unknown };

/**
 * A WaClient whose every answer the test chooses. It models the one thing that matters for
 * "never two browsers": a client is live from creation until its browser is closed (destroy,
 * logout, or killed by the guard), and an `initialize()` that finishes after a destroy brings
 * a browser up again, as whatsapp-web.js does when destroyed mid-launch.
 */
export class FakeWaClient implements WaClient {
  readonly calls: string[] = [];
  initOutcome: Outcome = 'resolve';
  destroyOutcome: Outcome = 'resolve';
  logoutOutcome: Outcome = 'resolve';
  /** What getState() answers: a state (or null), a rejection, or, for 'hang', never. */
  stateAnswer: string | null | { readonly reject: unknown } = 'CONNECTED';
  /** Every text sent, in order. */
  readonly sent: Array<{ chatId: string; text: string; options: SendOptions; file?: OutgoingFile; mediaOptions?: MediaSendOptions }> = [];
  /** How sendText ends; a function answers per call. */
  sendOutcome: Outcome | ((chatId: string, text: string) => Outcome) = 'resolve';
  /** Numbers resolveNumber answers null for (not on WhatsApp). */
  readonly unregistered = new Set<string>();
  /** The browser is closed (or was never started and never will be). */
  closed = false;
  /** `initialize()` finished after the client was closed: a browser launched behind our back. */
  cameUpAfterClose = false;

  private readonly listeners: Array<(event: WaClientEvent) => void> = [];
  private init: Deferred<void> | null = null;

  /** Every number a code was asked for explicitly (not the library's own first request). */
  readonly codeRequests: string[] = [];

  constructor(
    readonly id: number,
    private readonly journal: Journal,
    /** What the supervisor made this client with. */
    readonly options: ClientOptions = { pairingPhoneNumber: null },
  ) {}

  get live(): boolean {
    return !this.closed;
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }

  onEvent(listener: (event: WaClientEvent) => void): void {
    this.listeners.push(listener);
  }

  initialize(): Promise<void> {
    this.note('initialize');
    return this.run(
      this.initOutcome,
      () => this.browserUp(),
      (d) => (this.init = d),
    );
  }

  destroy(): Promise<void> {
    this.note('destroy');
    return this.run(this.destroyOutcome, () => (this.closed = true));
  }

  logout(): Promise<void> {
    this.note('logout');
    return this.run(this.logoutOutcome, () => (this.closed = true));
  }

  getState(): Promise<string | null> {
    this.note('getState');
    const answer = this.stateAnswer;
    if (answer === 'hang') return never();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    if (answer !== null && typeof answer === 'object') return Promise.reject(answer.reject);
    return Promise.resolve(answer);
  }

  async sendText(chatId: string, text: string, options: SendOptions = {}): Promise<SentMessage> {
    this.note('sendText');
    const outcome = typeof this.sendOutcome === 'function' ? this.sendOutcome(chatId, text) : this.sendOutcome;
    if (outcome === 'hang') return never();
    if (typeof outcome === 'object') throw outcome.reject;
    this.sent.push({ chatId, text, options });
    return { id: `true_${chatId}_FAKE${this.sent.length}`, timestamp: 1_700_000_000 + this.sent.length };
  }

  /** Files go through the same outcome as texts (the caption is the text), recorded with their bytes. */
  async sendMedia(chatId: string, file: OutgoingFile, options: MediaSendOptions): Promise<SentMessage> {
    this.note('sendMedia');
    const outcome = typeof this.sendOutcome === 'function' ? this.sendOutcome(chatId, options.caption) : this.sendOutcome;
    if (outcome === 'hang') return never();
    if (typeof outcome === 'object') throw outcome.reject;
    this.sent.push({ chatId, text: options.caption, options, file, mediaOptions: options });
    return { id: `true_${chatId}_FAKE${this.sent.length}`, timestamp: 1_700_000_000 + this.sent.length };
  }

  async resolveNumber(digits: string): Promise<string | null> {
    this.note('resolveNumber');
    return this.unregistered.has(digits) ? null : `${digits}@c.us`;
  }

  async requestPairingCode(phoneNumber: string): Promise<void> {
    this.note('requestPairingCode');
    this.codeRequests.push(phoneNumber);
  }

  async stopPairingCodes(): Promise<void> {
    this.note('stopPairingCodes');
  }

  /** Finishes an `initialize()` started with initOutcome 'manual'. */
  finishInitialize(): void {
    if (!this.init) throw new Error(`client#${this.id}: initialize() is not waiting`);
    this.init.resolve();
  }

  failInitialize(error: unknown): void {
    if (!this.init) throw new Error(`client#${this.id}: initialize() is not waiting`);
    this.init.reject(error);
  }

  /** What the guard's killLeftovers does to a browser still running. */
  kill(): void {
    this.closed = true;
  }

  emit(event: WaClientEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  qr(payload = `qr-payload-${this.id}`): void {
    this.emit({ type: 'qr', payload });
  }

  code(code = `CODE${String(this.id).padStart(4, '0')}`): void {
    this.emit({ type: 'code', code });
  }

  codeFailed(error: unknown): void {
    this.emit({ type: 'code_failed', error });
  }

  authenticated(): void {
    this.emit({ type: 'authenticated' });
  }

  ready(me: { id: string; name: string | null } | null = { id: '15550001111', name: 'Tester' }): void {
    this.emit({ type: 'ready', me });
  }

  disconnected(reason: string): void {
    this.emit({ type: 'disconnected', reason });
  }

  message(message: IncomingMessage): void {
    this.emit({ type: 'message', message });
  }

  private browserUp(): void {
    if (this.closed) {
      this.closed = false;
      this.cameUpAfterClose = true;
      this.journal.record(`client#${this.id}.browser-up-after-close`);
    }
  }

  private note(call: string): void {
    this.calls.push(call);
    this.journal.record(`client#${this.id}.${call}`);
  }

  private run(outcome: Outcome, onSuccess: () => void, onManual?: (d: Deferred<void>) => void): Promise<void> {
    if (outcome === 'hang') return never();
    if (outcome === 'manual') {
      const d = deferred<void>();
      onManual?.(d);
      return d.promise.then(onSuccess);
    }
    if (outcome === 'resolve') return Promise.resolve().then(onSuccess);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    return Promise.reject(outcome.reject);
  }
}

/** Makes FakeWaClients and keeps every one it made. */
export class FakeClientFactory {
  readonly clients: FakeWaClient[] = [];
  /** Set up each new client before the supervisor sees it (index is 0-based). */
  configure: ((client: FakeWaClient, index: number) => void) | null = null;
  /** The factory throws this instead of making a client. */
  throwOnCreate: unknown = null;

  constructor(private readonly journal: Journal = new Journal()) {}

  readonly create: WaClientFactory = async (options) => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    if (this.throwOnCreate !== null) throw this.throwOnCreate;
    const client = new FakeWaClient(this.clients.length + 1, this.journal, options);
    this.configure?.(client, this.clients.length);
    this.clients.push(client);
    this.journal.record(`client#${client.id}.created`);
    return client;
  };

  /** Clients whose browser may still be running. */
  live(): FakeWaClient[] {
    return this.clients.filter((c) => c.live);
  }

  /** The most recently created client; throws when there is none. */
  latest(): FakeWaClient {
    const client = this.clients.at(-1);
    if (!client) throw new Error('no client was created');
    return client;
  }

  /** The n-th client (1-based, as in the journal); throws when there is none. */
  get(id: number): FakeWaClient {
    const client = this.clients[id - 1];
    if (!client) throw new Error(`client#${id} was never created`);
    return client;
  }

  /** Ends the browser of every client that was asked to close (what killLeftovers does). */
  killRetired(): number {
    let ended = 0;
    for (const client of this.clients) {
      if ((client.count('destroy') > 0 || client.count('logout') > 0) && client.live) {
        client.kill();
        ended++;
      }
    }
    return ended;
  }
}
