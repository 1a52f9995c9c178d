import type { ChildProcess } from 'node:child_process';

/**
 * Gives every stdio stream of the browser's process an 'error' listener for as long as the
 * stream exists.
 *
 * Puppeteer's PipeTransport (`pipe: true`) listens for 'error' on the DevTools pipes only until
 * the connection closes: its close() disposes those listeners. A command written just before
 * Chromium died (the library's own, or one of ours racing a `client.destroy()`) then fails with
 * EPIPE after that, on a stream with no 'error' listener, which Node turns into an uncaught
 * exception, and the daemon exits. The browser's end is already reported by the connection's
 * 'disconnected'; what a dead pipe says on top of it goes to `onError`.
 */
export function handlePipeErrors(child: ChildProcess | null | undefined, onError: (error: Error) => void): void {
  for (const stream of child?.stdio ?? []) stream?.on('error', onError);
}
