import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/config';
import { type CheckResult, fail, pass, warn } from '../check';

/** The version whatsapp-web.js asks its cache for when WEB_VERSION is unset. */
function libraryDefaultVersion(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file inside the library, not its public entry
    const constants = require('whatsapp-web.js/src/util/Constants') as { DefaultOptions?: { webVersion?: unknown } };
    const version = constants.DefaultOptions?.webVersion;
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}

/** Which WhatsApp Web build a start loads, and whether the cache has it. */
export async function checkWebCache(
  config: Pick<Config, 'webCachePath' | 'webVersion' | 'webCacheStrict' | 'webVersionRemotePath'>,
): Promise<CheckResult> {
  const dir = path.resolve(config.webCachePath);
  const cached = await readdir(dir)
    .then((names) => names.filter((name) => name.endsWith('.html')).map((name) => name.slice(0, -'.html'.length)))
    .catch(() => [] as string[]);
  const version = config.webVersion ?? libraryDefaultVersion();
  const listing = cached.length === 0 ? `${dir} holds no build` : `${dir} holds ${cached.length} build${cached.length === 1 ? '' : 's'}`;
  if (config.webVersionRemotePath !== null) {
    return pass(
      'web cache',
      `WEB_VERSION ${config.webVersion ?? '?'} is fetched from ${new URL(config.webVersionRemotePath.replace('{version}', 'v')).host} at start`,
    );
  }
  if (version !== null && cached.includes(version)) {
    return pass('web cache', `WhatsApp Web ${version} is served from ${dir}${config.webVersion === null ? " (the library's default build)" : ''}`);
  }
  if (config.webCacheStrict) {
    return fail(
      'web cache',
      `WEB_VERSION ${version ?? '(unset)'} is not in ${dir} and WEB_CACHE_STRICT forbids anything else: the start fails`,
      `put ${version ?? '<version>'}.html in ${dir}, set WEB_VERSION_REMOTE_PATH to an archive that has it, or unset WEB_CACHE_STRICT.`,
    );
  }
  if (config.webVersion !== null) {
    return warn(
      'web cache',
      `WEB_VERSION ${config.webVersion} is not cached (${listing}): the live WhatsApp Web is loaded instead and cached`,
      'set WEB_VERSION_REMOTE_PATH to an archive that has it, or unset WEB_VERSION.',
    );
  }
  return pass('web cache', `WEB_VERSION unset: the live WhatsApp Web is loaded and cached (${listing})`);
}
