/**
 * Chromium flags the daemon always passes. Each one is here for a reason; the
 * docs/performance.md has what each saved, measured one at a time by
 * `npx tsx bench/flags.ts --cumulative` and overall by `npm run bench`.
 */
/** Hygiene: no network chatter, no first-run UI, no GPU, room in a container's /dev/shm. */
export const HYGIENE_CHROMIUM_ARGS: readonly string[] = [
  // WhatsApp Web needs none of these, and on a machine without internet each one is a
  // stream of failing connections at every start.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-extensions',
  // Containers give /dev/shm 64 MB; Chromium crashes renderers when it fills up.
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--mute-audio',
];

export const BASE_CHROMIUM_ARGS: readonly string[] = [
  ...HYGIENE_CHROMIUM_ARGS,
  // Memory. Headless Chromium 13x+ preloads the omnibox popups (chrome://omnibox-popup)
  // as WebUI pages in a renderer of their own, and keeps a spare renderer ready for the next
  // navigation; a bot has no address bar and one page.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,SpareRendererForSitePerProcess',
  // The network service as a thread of the browser, not a process of its own.
  '--enable-features=NetworkServiceInProcess2',
  // No SwiftShader: with the GPU off, pages are composited in software anyway; only WebGL,
  // which WhatsApp Web does not need, would use it.
  '--disable-software-rasterizer',
  // Browser, renderer, GPU and network in one process, and no zygotes forked ahead of time:
  // the largest saving. Chromium calls this mode unsupported; a crash of the page is then a
  // crash of the browser, which the supervisor already treats as a connection loss
  // (reconnect, session kept). Remove both with CHROMIUM_ARGS="!--single-process !--no-zygote"
  // to go back to one process per role.
  '--single-process',
  '--no-zygote',
];

/** Chromium refuses to run as root with its sandbox on; containers commonly run as root. */
export function sandboxArgs(isRoot: boolean): string[] {
  return isRoot ? ['--no-sandbox'] : [];
}

/**
 * The flags for one launch: the defaults, the sandbox flag when root, then `extra`
 * (CHROMIUM_ARGS). An entry of `extra` written `!--flag` removes that default instead
 * (`--flag` or `--flag=...`), e.g. `!--single-process`.
 */
export function chromiumArgs(extra: readonly string[], isRoot: boolean): string[] {
  const removed = extra.filter((arg) => arg.startsWith('!')).map((arg) => arg.slice(1));
  const isRemoved = (flag: string): boolean => removed.some((r) => flag === r || flag.startsWith(`${r}=`));
  const added = extra.filter((arg) => !arg.startsWith('!'));
  const args = [...BASE_CHROMIUM_ARGS.filter((flag) => !isRemoved(flag)), ...sandboxArgs(isRoot), ...added];
  return [...new Set(args)];
}
