import { type HTTPRequest, InterceptResolutionAction, type Page } from 'puppeteer';

/**
 * What a bot never looks at: pictures (avatars, stickers, link previews), audio/video
 * elements and web fonts. Blocking them keeps their bytes and decoded images out of the
 * page. Media a bot downloads or sends goes through fetch/XHR and blob: URLs, which are
 * other resource types and never reach this handler.
 */
const UNNEEDED_RESOURCE_TYPES: ReadonlySet<string> = new Set(['image', 'media', 'font']);

/**
 * Aborts requests for `UNNEEDED_RESOURCE_TYPES` while request interception is on. With a
 * local web version cache, whatsapp-web.js turns interception on and its handler, added
 * after this one, calls `continue()` on every request but the page itself, in puppeteer's
 * legacy (non-cooperative) mode: a second resolution of a request throws "Request is
 * already handled!" as an unhandled rejection. So for a request aborted here, later
 * resolutions become no-ops. Without interception (no local cache) nothing is blocked.
 */
export function skipUnneededRequests(page: Page): void {
  page.on('request', (request: HTTPRequest) => {
    if (!UNNEEDED_RESOURCE_TYPES.has(request.resourceType())) return;
    if (request.interceptResolutionState().action !== InterceptResolutionAction.None) return;
    const abort = request.abort.bind(request);
    const alreadyHandled = (): Promise<void> => Promise.resolve();
    Object.assign(request, { continue: alreadyHandled, respond: alreadyHandled, abort: alreadyHandled });
    abort('blockedbyclient').catch(() => undefined);
  });
}
