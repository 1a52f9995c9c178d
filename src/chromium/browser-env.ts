/**
 * What the browser may see of the daemon's environment. Puppeteer hands Chromium the whole
 * of `process.env` unless told otherwise, and with it ADMIN_TOKEN, API_TOKEN, the webhook
 * secret and the database URL, readable by anything that gets code into the page's process.
 * Chromium needs only where it is, who runs it, its language and its temp and font places.
 */
// MALLOC_*: glibc tunables (the arena cap of the start command), the same for the browser.
const KEPT =
  /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|XDG_[A-Z_]+|FONTCONFIG_[A-Z_]+|MALLOC_[A-Z_]+|DISPLAY|WAYLAND_DISPLAY|DBUS_SESSION_BUS_ADDRESS)$/;

export function browserEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && KEPT.test(name)) kept[name] = value;
  return kept;
}
