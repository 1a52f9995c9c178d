import { performance } from 'node:perf_hooks';
import { browserEnvironment } from '../../chromium/browser-env';
import { handlePipeErrors } from '../../chromium/browser-pipes';
import { chromiumArgs } from '../../chromium/chromium-flags';
import type { Config } from '../../config/config';
import { findBrowser, type FoundBrowser } from '../../config/find-browser';
import { puppeteerDownload } from '../../config/puppeteer-download';
import { describeError } from '../../common/errors';
import { type CheckResult, fail, pass, skip, warn } from '../check';

const LAUNCH_TIMEOUT_MS = 45_000;
const INSTALL =
  'install one: sudo ./scripts/install-system-packages.sh runtime (Debian: chromium-headless-shell), or set CHROME_PATH to a Chromium or Chrome binary.';

/** Finds the browser the daemon would use, then launches it the way the daemon does and closes it. */
export async function checkBrowser(config: Config, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  let found: FoundBrowser;
  try {
    found = findBrowser({ explicit: config.chromePath, mode: config.browserMode, puppeteerBrowser: puppeteerDownload });
  } catch (error) {
    return [fail('browser', describeError(error), INSTALL), skip('launch', 'no browser to launch')];
  }
  const kind = found.mode === 'shell' ? 'headless shell' : 'full Chromium';
  const where = `${found.path} (${kind}, ${found.source === 'CHROME_PATH' ? 'from CHROME_PATH' : found.source})`;
  const located = found.warning === null ? pass('browser', where) : warn('browser', `${where}: ${found.warning}`);
  return [located, await launch(found, config, env)];
}

async function launch(found: FoundBrowser, config: Config, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const started = performance.now();
  const puppeteer = (await import('puppeteer')).default;
  let browser: Awaited<ReturnType<typeof puppeteer.launch>> | null = null;
  try {
    // puppeteer's own timeout ends the process too, where racing the promise would leave it running.
    browser = await puppeteer.launch({
      executablePath: found.path,
      headless: found.mode === 'shell' ? 'shell' : true,
      args: chromiumArgs(config.chromiumArgs, process.getuid?.() === 0),
      env: browserEnvironment(env),
      pipe: true,
      timeout: LAUNCH_TIMEOUT_MS,
    });
    // A browser that dies during the check is a FAIL below, not a crash of the doctor.
    handlePipeErrors(browser.process(), () => undefined);
    const version = await browser.version();
    const page = await browser.newPage();
    await page.goto('about:blank');
    return pass('launch', `${version} started headless and opened a page in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    return fail(
      'launch',
      `${found.path} did not start: ${describeError(error).split('\n')[0]}`,
      'install its libraries and fonts: sudo ./scripts/install-system-packages.sh runtime; as root in a container, CHROMIUM_ARGS may need --no-sandbox; check CHROMIUM_ARGS for a flag this build refuses.',
    );
  } finally {
    await browser?.close().catch(() => undefined);
  }
}
