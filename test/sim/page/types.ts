/** What `window.__sim` answers: shared by the page and by `SimPhone` on the Node side. */

/** Who the simulated phone is. */
export interface SimMe {
  /** Digits of the phone number, e.g. "15550001111". */
  user: string;
  pushname?: string;
  lid?: string;
}

export interface SimListeners {
  socketChangeState: number;
  socketChangeHasSynced: number;
  connChangeRef: number;
  cmdLogout: number;
  cmdLogoutFromBridge: number;
  cmdOfflineProgress: number;
  msgAdd: number;
  msgChangeAck: number;
  chatChangeUnreadCount: number;
}

export interface SimPairingCode {
  code: string;
  phoneNumber: string;
  issuedAt: number;
  expiresAt: number;
}

export interface SimState {
  booted: boolean;
  url: string;
  version: string;
  socketState: string;
  hasSynced: boolean;
  paired: boolean;
  me: Required<SimMe> | null;
  qrRef: string | null;
  qrCount: number;
  pairingType: 'QR' | 'ALT_DEVICE_LINKING';
  pairingCode: SimPairingCode | null;
  pairingCodesIssued: number;
  eagerSync: boolean;
  listeners: SimListeners;
  /** `window.WWebJS` (the library's Utils) is loaded: the client reached `ready` on this document. */
  wwebjsInjected: boolean;
  /** `window.AuthStore` is set: the library's `inject()` ran on this document. */
  authStoreInjected: boolean;
  outboxCount: number;
  pendingIncoming: number;
  takeovers: number;
  logouts: number;
  resendRequests: number;
  reloadScheduled: boolean;
  errorCount: number;
  uptimeMs: number;
}

export interface SimOutboxEntry {
  id: string;
  to: string;
  from: string;
  body: string;
  type: string;
  t: number;
  ack: number;
  quotedStanzaID: string | null;
  quotedMsgId: string | null;
  quotedBody: string | null;
  at: number;
  /** A media message only: what the phone received. The bytes: `outboxMedia(id)`. */
  media?: SimOutboxMedia;
}

/** The kinds of media WhatsApp moves, as a message's `type`. */
export type SimMediaType = 'image' | 'video' | 'audio' | 'ptt' | 'document' | 'sticker';

export interface SimOutboxMedia {
  /** The message's type (`image`, `video`, `audio`, `ptt`, `document`, `sticker`). */
  type: string;
  /** The message's mimetype; a sticker's message carries none, so the uploaded file's type. */
  mimetype: string;
  /** Documents only: WhatsApp's image, video, audio and sticker messages carry no file name. */
  filename: string | null;
  /** Bytes uploaded. */
  size: number;
  /** SHA-256 of the uploaded bytes, hex. */
  sha256: string;
  caption: string | null;
  /** Where the simulated CDN keeps the file (the message's `directPath`). */
  directPath: string;
}

/** Media the phone sends to the bot; `SimIncoming.body` is its caption. */
export interface SimIncomingMedia {
  /** The file, base64. */
  data: string;
  mimetype: string;
  /** Documents only (WhatsApp's other media messages have no file name). */
  filename?: string;
  /** A voice note (`ptt`); the mimetype must be audio/*. */
  asVoice?: boolean;
  /** A sticker; the mimetype must be image/webp. */
  asSticker?: boolean;
  /** Sent as a file (`document`) whatever its mimetype. */
  asDocument?: boolean;
  /** The file is gone from the CDN (expired) and the phone no longer has it: every download fails. */
  downloadFails?: boolean;
}

/** How an incoming message that arrives encrypted behaves. */
export type SimCiphertextMode =
  /** Decrypts by itself 100 ms later (the library defers `message` until then). */
  | 'decrypt'
  /** Decrypts only once the library asks the phone to resend it (`handlePlaceholderMsgsSeen`). */
  | 'resend'
  /** Never decrypts: the library reports `message_ciphertext_failed` 15 s later. */
  | 'never';

export interface SimIncoming {
  /** "15550002222", "15550002222@c.us", or a group "120363000000000001@g.us" (then `author` is needed). */
  from: string;
  body: string;
  /** The sender inside a group. */
  author?: string;
  /** Message id (stanza id); 32 random hex characters by default. */
  id?: string;
  /** Unix seconds. */
  t?: number;
  notifyName?: string;
  ciphertext?: SimCiphertextMode;
  /** An image, video, audio, voice note, document or sticker; `body` is then its caption ('' for none). */
  media?: SimIncomingMedia;
}

/** How the phone unlinks this device. */
export type SimLogoutSignal =
  /** `Cmd` fires `logout`, then the page reloads (the classic path). */
  | 'logout'
  /** `Cmd` fires `logout_from_bridge`, then the page reloads (what today's WhatsApp Web sends). */
  | 'logout_from_bridge'
  /** The keys are wiped and the page reloads with no event at all: only a new QR tells. */
  | 'silent';

export interface SimRequiredModules {
  /** Every module name the library asked `window.require` for, in order. */
  requested: string[];
  /** The ones the page does not implement (they answered `{}`). */
  defaulted: string[];
  /** Every module the page implements. */
  implemented: string[];
  /** Modules the page knows the library asks for and that need only exist (they answer `{}`). */
  existsOnly: string[];
  /** Members the library read on a module that did not have them. */
  missingMembers: Record<string, string[]>;
}

export interface SimLogEntry {
  at: number;
  kind: string;
  [key: string]: unknown;
}

export interface SimPageError {
  at: number;
  where: string;
  error: string;
}
