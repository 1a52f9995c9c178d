import type { PairedAccount } from '../session/session-state';

/** An incoming chat message, reduced to what the bot needs. */
export interface IncomingMessage {
  readonly from: string;
  readonly body: string;
  readonly fromMe: boolean;
  /** Status broadcasts ("stories") are not conversations. */
  readonly isStatus: boolean;
  reply(text: string): Promise<void>;
}

/** What a WhatsApp client tells its owner. One union so a fake emits exactly what the real one can. */
export type WaClientEvent =
  | { readonly type: 'qr'; readonly payload: string }
  | { readonly type: 'authenticated' }
  | { readonly type: 'auth_failure'; readonly message: string }
  | { readonly type: 'ready'; readonly me: PairedAccount | null }
  | { readonly type: 'disconnected'; readonly reason: string }
  | { readonly type: 'change_state'; readonly state: string }
  /** Chromium crashed, was killed or closed: puppeteer's browser `disconnected`. */
  | { readonly type: 'browser_disconnected' }
  /** An error thrown from inside the library's own handlers, caught where it started. */
  | { readonly type: 'internal_error'; readonly error: unknown }
  | { readonly type: 'message'; readonly message: IncomingMessage }
  /** A message that never decrypted: WhatsApp asked the phone to resend it and gave up. */
  | { readonly type: 'message_undecryptable'; readonly id: string; readonly chatId: string };

/**
 * One whatsapp-web.js client and its browser, behind the few operations the supervisor
 * uses. A client is used once: after `destroy()` or a logout the supervisor makes a new one.
 */
export interface WaClient {
  onEvent(listener: (event: WaClientEvent) => void): void;
  /** Launches the browser and loads WhatsApp Web; resolves once login is under way. */
  initialize(): Promise<void>;
  /** Closes the browser, keeping the session on disk. Never unpairs. */
  destroy(): Promise<void>;
  /** Unlinks this device on WhatsApp's side, then closes the browser. */
  logout(): Promise<void>;
  /**
   * WhatsApp's connection state as the page reports it: 'UNPAIRED' before login, 'CONNECTED'
   * once paired. It proves the page answers, not that the client is logged in: the state
   * machine is driven by events. Null when the page has no socket state.
   */
  getState(): Promise<string | null>;
}

export type WaClientFactory = () => WaClient;
