/** The page's own diary: an event log and the errors it caught, both readable through `__sim`. */
import type { SimLogEntry, SimPageError } from './types';

const T0 = Date.now();
const events: SimLogEntry[] = [];
const errors: SimPageError[] = [];
let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

export function uptimeMs(): number {
  return Date.now() - T0;
}

export function log(kind: string, data: Record<string, unknown> = {}): void {
  events.push({ at: uptimeMs(), kind, ...data });
  if (events.length > 1000) events.shift();
  if (verbose) console.log(`[sim] ${kind} ${JSON.stringify(data)}`);
}

function describe(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { stack, message } = error as { stack?: unknown; message?: unknown };
    if (typeof stack === 'string') return stack;
    if (typeof message === 'string') return message;
    try {
      return JSON.stringify(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}

/**
 * What a promise rejects with: an Error-like value as it is (the library replaced `window.Error`,
 * so `instanceof Error` cannot tell), anything else wrapped.
 */
export function asError(error: unknown): Error {
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return error as Error;
  return simError(describe(error));
}

export function recordError(where: string, error: unknown): void {
  const entry = { at: uptimeMs(), where, error: describe(error) };
  errors.push(entry);
  if (errors.length > 200) errors.shift();
  console.error(`[sim] error in ${where}: ${entry.error}`);
}

export function eventLog(): SimLogEntry[] {
  return events.slice();
}

export function pageErrors(): SimPageError[] {
  return errors.slice();
}

/**
 * The library replaces `window.Error` in every new document (its isOfficialClient patch), so
 * page code never subclasses Error nor relies on `instanceof Error`.
 */
export function simError(message: string): Error {
  return new Error(`[sim] ${message}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function installErrorTraps(): void {
  window.addEventListener('error', (event) => recordError('window.onerror', event.error ?? event.message));
  window.addEventListener('unhandledrejection', (event) => recordError('unhandledrejection', event.reason));
}
