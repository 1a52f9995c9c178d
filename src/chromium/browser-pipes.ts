import type { ChildProcess } from 'node:child_process';

/** Where puppeteer's pipe mode puts the DevTools pipes: the 4th (it writes) and 5th (it reads) stdio streams. */
const DEVTOOLS_PIPES = [3, 4] as const;

/**
 * Gives the browser's DevTools pipes an 'error' listener for as long as they exist.
 *
 * Puppeteer's PipeTransport (`pipe: true`) listens for 'error' on them only until the Browser is
 * closed or disconnected: `browser.close()` and `disconnect()` dispose its listeners. A command
 * written just before Chromium exits (the library's own, or one of ours racing a
 * `client.destroy()`) then fails with EPIPE or ECONNRESET on a stream nobody listens to, which
 * Node throws as an uncaught exception, and the daemon would exit. The browser's end is already
 * reported by the connection's 'disconnected'; what a dead pipe says on top of it goes to
 * `onError`.
 */
export function handlePipeErrors(child: ChildProcess | null | undefined, onError: (error: Error) => void): void {
  for (const fd of DEVTOOLS_PIPES) child?.stdio[fd]?.on('error', onError);
}
