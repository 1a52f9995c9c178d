// Run as a child process by browser-pipe.test.ts, since what it shows may be a crash:
//   node --import tsx test/e2e/support/dead-pipe.ts bare|guarded
// Chromium is stopped (SIGSTOP) so that a 1 MiB write stays pending on the DevTools pipe;
// puppeteer disconnects (as browser.close() does once Chromium exited), then Chromium is killed
// and the pending write fails. Prints what it saw, one fact a line.
import type { Writable } from 'node:stream';
import puppeteer from 'puppeteer';
import { handlePipeErrors } from '../../../src/chromium/browser-pipes';
import { CHROME_PATH, HEADLESS } from '../../support/browser';
import { sleep } from '../../support/wait';

async function main(guarded: boolean): Promise<void> {
  const browser = await puppeteer.launch({
    executablePath: CHROME_PATH,
    headless: HEADLESS,
    pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const child = browser.process();
  if (child === null) throw new Error('puppeteer launched no process');
  if (guarded) handlePipeErrors(child, (error) => console.log(`handled ${(error as NodeJS.ErrnoException).code}`));
  // Puppeteer's PipeTransport writes to the 4th stdio stream.
  const pipeWrite = child.stdio[3] as Writable;
  console.log(`listeners while connected: ${pipeWrite.listenerCount('error')}`);
  child.kill('SIGSTOP');
  pipeWrite.write(Buffer.alloc(1 << 20, 0x20));
  console.log(`pending: ${pipeWrite.writableLength}`);
  await browser.disconnect();
  console.log(`listeners after disconnect: ${pipeWrite.listenerCount('error')}`);
  child.kill('SIGKILL');
  await sleep(2_000);
  console.log('survived');
}

main(process.argv[2] === 'guarded').catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
