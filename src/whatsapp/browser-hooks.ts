import type { AuthStrategy } from 'whatsapp-web.js';
import type { Browser, Page } from 'puppeteer';

type Handler = (...args: unknown[]) => unknown;

export interface BrowserHooks {
  /** Called once per browser the library launches, as soon as it exists. */
  readonly onBrowser: (browser: Browser) => void;
  /** An error from one of the library's own async page handlers. */
  readonly onHandlerError: (error: unknown) => void;
}

interface StrategyWithClient {
  client?: { pupBrowser?: Browser | null; pupPage?: Page | null };
}

/**
 * Adds the daemon's hooks to any whatsapp-web.js auth strategy, through the earliest hook the
 * library offers on its browser and page: `afterBrowserInitialized` runs right after launch,
 * before any page handler is added.
 *
 * - The library registers `async` handlers on the page (`framenavigated` re-injects and throws
 *   `'auth timeout'` or "Target closed" when the browser goes away mid-way). Puppeteer drops
 *   their promises, so those errors become unhandled rejections. Wrapping `page.on` for this one
 *   page catches them where they start and hands them over as state, not a process-level crash.
 * - The strategy's `logout()` is switched off. The library calls it from its `framenavigated`
 *   handler after a remote logout, while Chromium still runs: LocalAuth's delete (with retries)
 *   could outlast the daemon's teardown and delete the *next* browser's fresh profile. The
 *   daemon deletes the session itself, through its session store, once the browser is gone.
 *
 * The library's typings declare the hooks as properties, so the overrides are assignments on
 * this instance; the strategy's own implementation still runs first.
 */
export function hookAuthStrategy<S extends AuthStrategy>(strategy: S, hooks: BrowserHooks): S {
  const hooked = new WeakSet<object>();
  const base = strategy.afterBrowserInitialized.bind(strategy);
  strategy.afterBrowserInitialized = async () => {
    await base();
    const { pupBrowser, pupPage } = (strategy as unknown as StrategyWithClient).client ?? {};
    if (pupBrowser && !hooked.has(pupBrowser)) {
      hooked.add(pupBrowser);
      hooks.onBrowser(pupBrowser);
    }
    if (pupPage && !hooked.has(pupPage)) {
      hooked.add(pupPage);
      guardAsyncHandlers(pupPage, hooks.onHandlerError);
    }
  };
  strategy.logout = async () => undefined;
  return strategy;
}

function guardAsyncHandlers(page: Page, onError: (error: unknown) => void): void {
  const on = page.on.bind(page) as (event: string, handler: Handler) => Page;
  const guarded = (event: string, handler: Handler): Page =>
    on(event, (...args: unknown[]) => {
      try {
        const result = handler(...args);
        if (result instanceof Promise) result.catch(onError);
      } catch (error) {
        onError(error);
      }
    });
  Object.defineProperty(page, 'on', { value: guarded, configurable: true, writable: true });
}
