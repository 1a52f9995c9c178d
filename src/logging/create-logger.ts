import winston from 'winston';
import TransportStream from 'winston-transport';
import { type SafeOutput, standardOutputs } from './safe-output';
import type { LogLevel } from './log-levels';
import type { Logger } from './logger';
import { redact, redactField } from './redact';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
  /** Values that must never appear in a log line (ADMIN_TOKEN, ...). Read at every log call. */
  readonly secrets: () => readonly string[];
  /** Where the lines go; the process's stdout by default. */
  readonly output?: SafeOutput;
}

/** winston's formatted line, under the symbol its formats leave it. */
const MESSAGE = Symbol.for('message');

/** A transport that writes through a SafeOutput: a closed pipe drops lines, it never throws. */
class SafeTransport extends TransportStream {
  constructor(private readonly output: SafeOutput) {
    super();
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    this.output.write(`${String(info[MESSAGE])}\n`);
    callback();
  }
}

export function createLogger(options: LoggerOptions): winston.Logger & Logger {
  const redactSecrets = winston.format((info) => {
    const secrets = options.secrets();
    // An Error logged as the record carries its text in non-enumerable fields.
    if (info instanceof Error) {
      info.message = redact(info.message, secrets) as string;
      info.stack = undefined;
    }
    for (const key of Object.keys(info)) {
      if (key === 'level' || key === 'timestamp') continue;
      info[key] = key === 'message' ? redact(info[key], secrets) : redactField(key, info[key], secrets);
    }
    return info;
  });

  const pretty = winston.format.printf((info) => {
    const { level, message, timestamp, component, ...meta } = info;
    const scope = typeof component === 'string' ? ` [${component}]` : '';
    const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
    return `${String(timestamp)} ${level}${scope}: ${String(message)}${extra}`;
  });

  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(redactSecrets(), winston.format.timestamp(), options.format === 'json' ? winston.format.json() : pretty),
    // stdout for everything: Render's log viewer and `docker logs` show one stream.
    transports: [new SafeTransport(options.output ?? standardOutputs().stdout)],
  });
}
