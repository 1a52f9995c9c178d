import type { Clock } from '../common/clock';
import type { ProfileGuard } from '../chromium/profile-guard';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import type { SessionMetadata } from '../storage/session-metadata';
import type { SessionStore } from '../storage/session-info';
import type { WaClientFactory } from '../whatsapp/wa-client';
import type { MetadataPort } from './pairing-record';
import type { CurrentCode, CurrentQr } from './session-state';

/** What the supervisor is built from; tests pass fakes for every one. */
export interface SupervisorDeps {
  readonly config: Pick<Config, 'reconnect' | 'timeouts' | 'browserMemoryLimitMb'> &
    Partial<Pick<Config, 'pairingPhoneNumber' | 'pairingCodeIntervalMs'>>;
  readonly createClient: WaClientFactory;
  readonly guard: ProfileGuard;
  readonly store: SessionStore;
  readonly metadata: MetadataPort;
  /** What the metadata file held at start: who was paired, known before the browser is up. */
  readonly initialMetadata: SessionMetadata;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Every new QR, e.g. to print it to the log. */
  readonly onQr?: (qr: CurrentQr) => void;
  /** Every new pairing code, e.g. to print it to the log. */
  readonly onCode?: (code: CurrentCode) => void;
  /** Bytes the browser's processes use; read by the watchdog when a memory limit is set. */
  readonly measureBrowserMemory?: () => Promise<number>;
}
