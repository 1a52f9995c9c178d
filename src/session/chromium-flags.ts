/**
 * Chromium flags the daemon always passes. Each one is here for a reason; the
 * Performance section of the README has what each saved, measured by `npm run bench`.
 */
export const BASE_CHROMIUM_ARGS: readonly string[] = [
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

/** Chromium refuses to run as root with its sandbox on; containers commonly run as root. */
export function sandboxArgs(isRoot: boolean): string[] {
  return isRoot ? ['--no-sandbox'] : [];
}

export function chromiumArgs(extra: readonly string[], isRoot: boolean): string[] {
  const args = [...BASE_CHROMIUM_ARGS, ...sandboxArgs(isRoot), ...extra];
  return [...new Set(args)];
}
