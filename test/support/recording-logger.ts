import type { Logger } from '../../src/logging/logger';

export type Level = 'error' | 'warn' | 'info' | 'debug';

export interface LogLine {
  readonly level: Level;
  readonly message: string;
  /** The child scopes' fields merged with the call's own. */
  readonly meta: Record<string, unknown>;
}

/** A Logger that keeps every line; children write to the same list with their scope added. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly scope: Record<string, unknown> = {},
  ) {}

  error(message: string, meta?: Record<string, unknown>): void {
    this.push('error', message, meta);
  }

  warn(message: string, meta?: Record<string, unknown>): void {
    this.push('warn', message, meta);
  }

  info(message: string, meta?: Record<string, unknown>): void {
    this.push('info', message, meta);
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.push('debug', message, meta);
  }

  child(meta: Record<string, unknown>): Logger {
    return new RecordingLogger(this.lines, { ...this.scope, ...meta });
  }

  /** Lines at `level` whose message matches. */
  find(level: Level, pattern: RegExp): LogLine[] {
    return this.lines.filter((line) => line.level === level && pattern.test(line.message));
  }

  at(level: Level): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }

  /** Everything logged, as one string, for "never logs X" checks. */
  text(): string {
    return JSON.stringify(this.lines);
  }

  private push(level: Level, message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level, message, meta: { ...this.scope, ...meta } });
  }
}
