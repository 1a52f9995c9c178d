import type { ClusterStatus } from '../cluster/build-cluster';
import type { Clock } from '../common/clock';
import type { DemoPhoneView } from '../demo/demo-phone';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import type { BotGate } from '../bot/bot-gate';
import type { BacklogMonitor } from '../messaging/backlog';
import type { Outbox } from '../messaging/outbox';
import type { MediaStore } from '../storage/media-store';
import type { WebhookStore } from '../storage/webhook-store';
import type { SessionInspector } from '../storage/session-info';
import type { SessionControl } from '../session/session-state';

/** What the routes need of the demo's phone. */
export interface DemoPhonePort {
  view(): Promise<DemoPhoneView>;
  scan(): Promise<void>;
  enterCode(code: string): Promise<void>;
  send(text: string): Promise<void>;
  logout(): Promise<void>;
  dropConnection(): Promise<void>;
}

/** Everything the HTTP layer needs, passed in so tests hand it fakes. */
export interface AppDeps {
  readonly session: SessionControl;
  /** Read through `current()` only: request handlers never walk the profile. */
  readonly inspector: SessionInspector;
  readonly config: Pick<Config, 'adminToken' | 'apiToken' | 'clientId' | 'authPath' | 'sessionDir' | 'webhooks' | 'media'> &
    Partial<Pick<Config, 'metricsToken'>>;
  readonly logger: Logger;
  /** Sending and webhooks: the outbox, the deliveries, and how far behind they are. */
  readonly messaging: {
    readonly outbox: Outbox;
    readonly webhooks: WebhookStore;
    readonly media: MediaStore;
    readonly deliverer: { kick(): void };
    readonly backlog: Pick<BacklogMonitor, 'current'>;
  };
  /** What the bot refused to run, and what waits. */
  readonly bot: Pick<BotGate, 'dropped' | 'queued'>;
  /** The Prometheus exposition of `/metrics`. */
  readonly metrics: { render(): Promise<{ readonly contentType: string; readonly text: string }> };
  /** With DATABASE_URL: the database, the lease and the saved session; absent otherwise. */
  readonly cluster?: { status(): ClusterStatus };
  /** True in demo mode: every status says the WhatsApp behind it is simulated. */
  readonly simulated?: boolean;
  /** Demo mode (WA_SIMULATOR=true): the simulated phone; absent otherwise, and so are its routes. */
  readonly demo?: { readonly phone: DemoPhonePort };
  /** Folder holding `qr.html` and `assets/`. */
  readonly publicDir: string;
  readonly clock: Clock;
  /** True once shutdown began: health answers 503 and new event streams are refused. */
  readonly isShuttingDown?: () => boolean;
  /** Interval of the keep-alive comment on `/api/events`; 15 s by default, shorter in tests. */
  readonly sseHeartbeatMs?: number;
  /** Event streams open at once; 16 by default. */
  readonly maxEventStreams?: number;
}
