import { LocalAuth } from 'whatsapp-web.js';
import type { Browser, Page } from 'puppeteer';

type Handler = (...args: unknown[]) => unknown;

export interface TetherAuthOptions {
  readonly clientId: string;
  readonly dataPath: string;
  /** Called once per browser the library launches, as soon as it exists. */
  readonly onBrowser: (browser: Browser) => void;
  /** An error from one of the library's own async page handlers. */
  readonly onHandlerError: (error: unknown) => void;
}

/**
 * LocalAuth, plus the earliest hook whatsapp-web.js offers on its browser and page:
 * `afterBrowserInitialized` runs right after launch, before any page handler is added.
 *
 * Why: the library registers `async` handlers on the page (`framenavigated` re-injects
 * and throws `'auth timeout'` or "Target closed" when the browser goes away mid-way).
 * Puppeteer drops their promises, so those errors become unhandled rejections. Wrapping
 * `page.on` for this one page catches them where they start and hands them to the
 * supervisor as state, instead of a process-level crash.
 */
export class TetherAuth extends LocalAuth {
  private readonly hooked = new WeakSet<object>();

  constructor(private readonly hooks: TetherAuthOptions) {
    super({ clientId: hooks.clientId, dataPath: hooks.dataPath });
    // The library's typings declare the strategy's hooks as properties, so the override is
    // an assignment; the base implementation (a prototype method) still runs first.
    const base = this.afterBrowserInitialized.bind(this);
    this.afterBrowserInitialized = async () => {
      await base();
      this.hookBrowserAndPage();
    };
    // LocalAuth deletes the profile from inside the library's `framenavigated` handler after
    // a remote logout, while Chromium still runs, with retries that can outlast our teardown
    // and delete the *next* browser's fresh profile. The supervisor wipes the profile itself,
    // after the browser is gone, so the library's delete is switched off.
    this.logout = async () => undefined;
  }

  private hookBrowserAndPage(): void {
    const { pupBrowser, pupPage } = (this as unknown as { client: { pupBrowser?: Browser; pupPage?: Page } }).client;
    if (pupBrowser && !this.hooked.has(pupBrowser)) {
      this.hooked.add(pupBrowser);
      this.hooks.onBrowser(pupBrowser);
    }
    if (pupPage && !this.hooked.has(pupPage)) {
      this.hooked.add(pupPage);
      guardAsyncHandlers(pupPage, this.hooks.onHandlerError);
    }
  }
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
