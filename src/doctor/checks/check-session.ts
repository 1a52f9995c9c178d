import { systemClock } from '../../common/clock';
import type { Logger } from '../../logging/logger';
import { ProfileInspector } from '../../storage/profile-inspector';
import { SessionMetadataStore } from '../../storage/session-metadata';
import { sessionPaths } from '../../config/session-paths';
import { type CheckResult, pass, warn } from '../check';

const MIB = 1024 * 1024;

/** The saved session and what the daemon remembers of it. */
export async function checkSession(options: { authPath: string; clientId: string; logger: Logger }): Promise<CheckResult> {
  const paths = sessionPaths(options.authPath, options.clientId);
  const [info, metadata] = await Promise.all([
    new ProfileInspector({ profileDir: paths.profileDir, logger: options.logger, clock: systemClock }).refresh(),
    new SessionMetadataStore({ file: paths.metadataFile, logger: options.logger }).read(),
  ]);
  const who = metadata.me === null ? '' : ` for ${metadata.me.name ? `${metadata.me.name} (+${metadata.me.id})` : `+${metadata.me.id}`}`;
  if (info.exists === true) {
    const lastReady = metadata.lastReadyAt === null ? 'never ready yet' : `last ready ${metadata.lastReadyAt}`;
    return pass('session', `saved in ${paths.profileDir}${who} (${(info.size / MIB).toFixed(1)} MiB), ${lastReady}`);
  }
  const loggedOut =
    metadata.lastLoggedOutAt === null
      ? ''
      : `; logged out at ${metadata.lastLoggedOutAt}${metadata.logoutReason ? ` (${metadata.logoutReason})` : ''}`;
  return warn(
    'session',
    `no session on disk in ${paths.profileDir}${loggedOut}`,
    'start the daemon and scan the QR at /qr (WhatsApp > Linked devices > Link a device).',
  );
}
