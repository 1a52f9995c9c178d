// Run as a child process by browser-pipe.test.ts, since what it shows may be a crash:
//   node --import tsx test/e2e/support/dead-pipe.ts bare|guarded <profile dir>
// Chromium is stopped (SIGSTOP) so that a 1 MiB write stays pending on the DevTools pipe;
// puppeteer disconnects (as browser.close() does once Chromium exited), then Chromium is killed
// and the pending write fails. Prints what it saw, one fact a line, the browser's pid first so
// that the test can end its process group whatever happens here.
import type { Writable } from 'node:stream';
import puppeteer from 'puppeteer';
import { handlePipeErrors } from '../../../src/chromium/browser-pipes';
import { CHROME_PATH, HEADLESS } from '../../support/browser';
import { withTimeout } from '../../support/wait';

async function main(guarded: boolean, userDataDir: string): Promise<void> {
  const browser = await puppeteer.launch({
    executablePath: CHROME_PATH,
    headless: HEADLESS,
    pipe: true,
    userDataDir,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const child = browser.process();
  if (child?.pid === undefined) throw new Error('puppeteer launched no process');
  console.log(`pid: ${child.pid}`);
  if (guarded) handlePipeErrors(child, (error) => console.log(`handled ${(error as NodeJS.ErrnoException).code}`));
  const pipeWrite = child.stdio[3] as Writable;
  console.log(`listeners while connected: ${pipeWrite.listenerCount('error')}`);
  child.kill('SIGSTOP');
  pipeWrite.write(Buffer.alloc(1 << 20, 0x20));
  console.log(`pending: ${pipeWrite.writableLength}`);
  await browser.disconnect();
  console.log(`listeners after disconnect: ${pipeWrite.listenerCount('error')}`);
  // Not events.once(): it listens for 'error' too, which would handle the very error shown here.
  const closed = new Promise((resolve) => pipeWrite.on('close', resolve));
  // Puppeteer starts Chromium in a process group of its own: end all of it, the stopped one too.
  process.kill(-child.pid, 'SIGKILL');
  await withTimeout(closed, 10_000, 'the dead pipe to close');
  console.log('survived');
}

const [mode, userDataDir] = process.argv.slice(2);
if ((mode !== 'bare' && mode !== 'guarded') || userDataDir === undefined) {
  console.error('usage: dead-pipe.ts bare|guarded <profile dir>');
  process.exit(2);
}
main(mode === 'guarded', userDataDir).catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
