/** Who the linked WhatsApp account is. */
export interface PairedAccount {
  /** The account's number (the user part of its wid), e.g. "15550001111". */
  readonly id: string;
  /** The account's display name, when WhatsApp told us. */
  readonly name: string | null;
}

/** An incoming chat message: plain data, safe to store and forward. */
export interface IncomingMessage {
  /** WhatsApp's serialized message id, e.g. "false_15550002222@c.us_3A0F...". */
  readonly id: string;
  /** The chat it belongs to: the sender for a 1:1 chat, the group for a group. */
  readonly chatId: string;
  /** Who sent it: equals `chatId` in a 1:1 chat, the member (`author`) in a group. */
  readonly from: string;
  /** The group member who sent it; null outside groups. */
  readonly author: string | null;
  readonly body: string;
  /** WhatsApp's message type: 'chat' for text, 'image', 'ptt', ... */
  readonly type: string;
  /** Unix seconds, as WhatsApp stamped it. */
  readonly timestamp: number;
  readonly isGroup: boolean;
  /** The sender's WhatsApp display name, when WhatsApp sent it. */
  readonly notifyName: string | null;
  readonly hasMedia: boolean;
  /** What WhatsApp says of the file before it is downloaded; null without media. */
  readonly mediaHint: { readonly mimetype: string | null; readonly filename: string | null; readonly size: number | null } | null;
  /** Downloads the file (through the page); null when WhatsApp no longer has it. Absent without media. */
  readonly downloadMedia?: () => Promise<DownloadedMedia | null>;
  readonly fromMe: boolean;
  /** Status broadcasts ("stories") are not conversations. */
  readonly isStatus: boolean;
}

/** What a WhatsApp client tells its owner. One union so a fake emits exactly what the real one can. */
export type WaClientEvent =
  | { readonly type: 'qr'; readonly payload: string }
  /** A pairing code to type on the phone (a client made with a pairing phone number). */
  | { readonly type: 'code'; readonly code: string }
  /** WhatsApp gave no pairing code: the error as the page rejected it ("rate-overlimit", ...). */
  | { readonly type: 'code_failed'; readonly error: unknown }
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
  /** WhatsApp acknowledged a message we sent: 1 server, 2 delivered to the phone, 3 read. */
  | { readonly type: 'message_ack'; readonly id: string; readonly ack: number }
  /** A message that never decrypted: WhatsApp asked the phone to resend it and gave up. */
  | { readonly type: 'message_undecryptable'; readonly id: string; readonly chatId: string };

/** A file as the library downloaded it. */
export interface DownloadedMedia {
  readonly bytes: Buffer;
  readonly mimetype: string;
  readonly filename: string | null;
}

/** A file to send: crosses into the page as base64 (the library's MessageMedia). */
export interface OutgoingFile {
  readonly bytes: Buffer;
  readonly mimetype: string;
  readonly filename: string | null;
}

export interface MediaSendOptions extends SendOptions {
  /** '' for none. */
  readonly caption: string;
  readonly asDocument: boolean;
  readonly asVoice: boolean;
  readonly asSticker: boolean;
}

/** A message WhatsApp accepted from us. */
export interface SentMessage {
  /** WhatsApp's serialized id of the sent message. */
  readonly id: string;
  /** Unix seconds. */
  readonly timestamp: number;
}

export interface SendOptions {
  /** Quote (reply to) this message; sent without the quote when WhatsApp no longer has it. */
  readonly quotedMessageId?: string;
}

/**
 * One whatsapp-web.js client and its browser, behind the operations the daemon uses. A client
 * is used once: after `destroy()` or a logout the supervisor makes a new one.
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
  /** Sends a text to a chat id ("<digits>@c.us" or "<id>@g.us"). */
  sendText(chatId: string, text: string, options?: SendOptions): Promise<SentMessage>;
  /** Sends a file, with its caption, shown as the options say. */
  sendMedia(chatId: string, file: OutgoingFile, options: MediaSendOptions): Promise<SentMessage>;
  /** The chat id WhatsApp knows for a number, or null when the number is not on WhatsApp. */
  resolveNumber(digits: string): Promise<string | null>;
  /**
   * Asks WhatsApp for a new pairing code now (a client made with a pairing phone number only).
   * Never rejects: the code comes as a `code` event, a refusal as `code_failed`.
   */
  requestPairingCode(phoneNumber: string): Promise<void>;
  /** Stops the page from asking for a new code every interval (so the phone is not flooded). */
  stopPairingCodes(): Promise<void>;
}

export interface ClientOptions {
  /** Pair by a code for this number (digits with country code) instead of a QR; null: QR. */
  readonly pairingPhoneNumber: string | null;
}

/** Makes a fresh client. Async: the first call loads whatsapp-web.js. */
export type WaClientFactory = (options: ClientOptions) => Promise<WaClient>;
