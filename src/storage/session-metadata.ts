import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../common/write-file-atomic';
import { SerialQueue } from '../common/serial-queue';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { PairedAccount } from '../whatsapp/wa-client';
import { sessionPaths } from '../config/session-paths';

/** What the daemon remembers about the session outside the profile; times are ISO strings. */
export interface SessionMetadata {
  readonly pairedAt: string | null;
  readonly me: PairedAccount | null;
  readonly lastReadyAt: string | null;
  readonly lastLoggedOutAt: string | null;
  readonly logoutReason: string | null;
}

export const EMPTY_METADATA: SessionMetadata = Object.freeze({
  pairedAt: null,
  me: null,
  lastReadyAt: null,
  lastLoggedOutAt: null,
  logoutReason: null,
});

export interface SessionMetadataStoreOptions {
  readonly file: string;
  readonly logger: Logger;
  /** Opens files for writing; tests pass one whose writes die midway. */
  readonly openFile?: typeof open;
}

export function metadataPathFor(authPath: string, clientId: string): string {
  return sessionPaths(authPath, clientId).metadataFile;
}

/**
 * The metadata file, read and written whole. Writes go to a temp file that is fsynced
 * and renamed over the target, so a crash leaves the old file or the new one, never half
 * of one. All operations run one at a time, so concurrent `update`s never lose a field.
 */
export class SessionMetadataStore {
  private readonly file: string;
  private readonly logger: Logger;
  private readonly queue = new SerialQueue();
  private readonly openFile: typeof open;

  constructor(options: SessionMetadataStoreOptions) {
    this.file = path.resolve(options.file);
    this.logger = options.logger;
    this.openFile = options.openFile ?? open;
  }

  /** Never throws: a missing, unreadable or malformed file reads as `EMPTY_METADATA`. */
  read(): Promise<SessionMetadata> {
    return this.queue.run(() => this.load());
  }

  /** Read-modify-write in the queue. A field set to `undefined` keeps its value; set `null` to clear it. */
  update(patch: Partial<SessionMetadata>): Promise<SessionMetadata> {
    return this.queue.run(async () => {
      const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      return this.store({ ...(await this.load()), ...defined });
    });
  }

  private async load(): Promise<SessionMetadata> {
    let content: string;
    try {
      content = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn(`could not read the session metadata file, using none: ${describeError(error)}`, { file: this.file });
      }
      return EMPTY_METADATA;
    }
    const parsed = parseMetadata(content);
    if (parsed === null) {
      this.logger.warn('the session metadata file is malformed, using none; it is rewritten on the next change', { file: this.file });
    }
    return parsed ?? EMPTY_METADATA;
  }

  private async store(meta: SessionMetadata): Promise<SessionMetadata> {
    // Field by field, so nothing beyond the five fields (or an `undefined`) reaches the file.
    const value: SessionMetadata = Object.freeze({
      pairedAt: meta.pairedAt ?? null,
      me: meta.me ? Object.freeze({ id: meta.me.id, name: meta.me.name ?? null }) : null,
      lastReadyAt: meta.lastReadyAt ?? null,
      lastLoggedOutAt: meta.lastLoggedOutAt ?? null,
      logoutReason: meta.logoutReason ?? null,
    });
    // 0600: it names the linked phone number.
    await writeFileAtomic(this.file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, openFile: this.openFile });
    return value;
  }
}

/**
 * Null when the content is not metadata. A field that is absent reads as null, so files
 * written by an older version still load; a field of the wrong type rejects the file.
 */
export function parseMetadata(content: string): SessionMetadata | null {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const pairedAt = readTime(value.pairedAt);
  const lastReadyAt = readTime(value.lastReadyAt);
  const lastLoggedOutAt = readTime(value.lastLoggedOutAt);
  const logoutReason = readNullableString(value.logoutReason);
  const me = readAccount(value.me);
  if (pairedAt === INVALID || lastReadyAt === INVALID || lastLoggedOutAt === INVALID || logoutReason === INVALID || me === INVALID) {
    return null;
  }
  return Object.freeze({ pairedAt, me, lastReadyAt, lastLoggedOutAt, logoutReason });
}

const INVALID = Symbol('invalid');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readNullableString(value: unknown): string | null | typeof INVALID {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : INVALID;
}

function readTime(value: unknown): string | null | typeof INVALID {
  const text = readNullableString(value);
  if (typeof text === 'string' && Number.isNaN(Date.parse(text))) return INVALID;
  return text;
}

function readAccount(value: unknown): PairedAccount | null | typeof INVALID {
  if (value === undefined || value === null) return null;
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '') return INVALID;
  const name = readNullableString(value.name);
  if (name === INVALID) return INVALID;
  return Object.freeze({ id: value.id, name });
}
