import type { LogLevel } from '../logging/log-levels';
import type { BrowserMode } from './find-browser';
import type { WebhookEventType } from './event-types';

/** The outbox's budget toward WhatsApp. */
/** What the bot may run, and for whom. */
export interface BotLimits {
  /** Commands a minute one chat may run (a burst of as many). */
  readonly perChatPerMinute: number;
  /** Commands a minute all chats together may run. */
  readonly globalPerMinute: number;
  /** Only these chats (ids such as 15550001111@c.us or 1203...@g.us); null = every chat. */
  readonly allowedChats: readonly string[] | null;
  /** Whether commands from group chats run at all. */
  readonly groups: boolean;
}

export interface SendConfig {
  readonly ratePerMinute: number;
  readonly burst: number;
  readonly chatGapMs: number;
  readonly maxAttempts: number;
}

export interface MediaConfig {
  /** The largest file sent or received, bytes. */
  readonly maxBytes: number;
  /** URL sends may reach private, loopback and link-local addresses (never cloud metadata). */
  readonly urlAllowPrivate: boolean;
  /** How long media is kept: received from arrival, sent from when it was sent or failed for good. */
  readonly retentionMs: number;
}

export interface WebhookConfig {
  /** Every event goes to each of these. Empty: no webhooks. */
  readonly urls: readonly string[];
  /** `whsec_<base64>`; null when no webhooks are set up. A secret: never logged. */
  readonly secret: string | null;
  readonly events: readonly WebhookEventType[];
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxAgeMs: number;
}

/** PostgreSQL (DATABASE_URL): the session, the outbox and the lease outlive the host. */
export interface DatabaseConfig {
  /** A secret (it may hold a password): never logged, never handed to the browser. */
  readonly url: string;
  /** How often a ready session is saved to the database. */
  readonly backupIntervalMs: number;
  /** A holder that stopped renewing loses the session to a standby after this. */
  readonly leaseTtlMs: number;
}

/** The daemon's configuration: validated once at start (`load-config.ts`), then frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly clientId: string;
  /** Absolute. LocalAuth keeps the profile in `authPath/session-<clientId>`. */
  readonly authPath: string;
  /** Absolute. `sessionDir` = `authPath/session-<clientId>`. */
  readonly sessionDir: string;
  /** Absolute. whatsapp-web.js's local web version cache. */
  readonly webCachePath: string;
  readonly webVersion: string | null;
  /** A missing cached `webVersion` is an error instead of a load from the network. */
  readonly webCacheStrict: boolean;
  /**
   * Opt-in: fetch `webVersion` from this archive (`{version}` replaced) instead of the local
   * cache. Null: the local cache in `webCachePath`, falling back to the live page.
   */
  readonly webVersionRemotePath: string | null;
  /** Explicit browser (CHROME_PATH / PUPPETEER_EXECUTABLE_PATH); null = detect. */
  readonly chromePath: string | null;
  /** Which browser detection looks for: the headless shell (default) or the full Chromium. */
  readonly browserMode: BrowserMode;
  /** Extra Chromium flags, appended after the daemon's own. */
  readonly chromiumArgs: readonly string[];
  readonly adminToken: string | null;
  /** May send and read messages and read the session's status; nothing else. */
  readonly apiToken: string | null;
  /** May read /metrics; nothing else. */
  readonly metricsToken: string | null;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  /** Print the pairing QR to the log as a terminal QR (for log viewers such as Render's). */
  readonly qrInLogs: boolean;
  /** Demo mode: the simulated WhatsApp Web and a phone page instead of web.whatsapp.com. */
  readonly simulator: boolean;
  /** Pair by a code typed on the phone for this number (digits with country code) instead of a QR. */
  readonly pairingPhoneNumber: string | null;
  /** How often a new pairing code is issued while unpaired. */
  readonly pairingCodeIntervalMs: number;
  readonly takeoverOnConflict: boolean;
  readonly takeoverTimeoutMs: number;
  readonly reconnect: {
    readonly baseMs: number;
    readonly maxMs: number;
    /** Attempts since the last `ready` before giving up (`failed`); 0 = never give up. */
    readonly maxAttempts: number;
  };
  readonly timeouts: {
    /** From launch to a QR or `authenticated`. */
    readonly startMs: number;
    /** From `authenticated` to `ready`. */
    readonly readyMs: number;
    readonly watchdogIntervalMs: number;
    readonly watchdogTimeoutMs: number;
    /** SIGTERM to exit, hard limit. */
    readonly shutdownMs: number;
  };
  /** Restart the browser (keeping the session) when its processes' PSS exceeds this; 0 = off. */
  readonly browserMemoryLimitMb: number;
  readonly botPrefix: string;
  readonly botLimits: BotLimits;
  readonly send: SendConfig;
  readonly media: MediaConfig;
  readonly webhooks: WebhookConfig;
  /** Null: SQLite and the local disk (the default). */
  readonly database: DatabaseConfig | null;
}
