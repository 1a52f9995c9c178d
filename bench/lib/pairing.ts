/**
 * One paired profile per contender, made the way a user makes one: start on an empty
 * profile, scan the QR with the simulated phone, wait for `ready`, stop cleanly. Every
 * measured run then starts from a copy of it: a restored start, no QR.
 */
import { SimPhone } from '../../test/sim';
import { type BareRun, type BenchContext, type ContenderKind, type DaemonRun, startContender, startDaemon } from './contenders';

/** A paired profile for `kind`, or for a bare client started by `start` (the flag sweep's). */
export async function pairTemplate(ctx: BenchContext, kind: ContenderKind, start?: (authPath: string) => BareRun): Promise<string> {
  const authPath = await ctx.dirs.newAuthPath(`template-${kind}`);
  const run: DaemonRun | BareRun =
    kind === 'daemon' ? await startDaemon(ctx, authPath) : (start ?? ((a: string) => startContender(ctx, kind, a)))(authPath);
  try {
    if (run.kind === 'daemon') await run.waitForState('qr');
    else await run.waitForEvent('qr');
    const phone = await SimPhone.attach(run.profileDir, { timeoutMs: 30_000 });
    try {
      await phone.waitForInjected();
      await phone.scan({ user: '15550001111', pushname: 'Bench Phone' });
      await run.waitForReady();
    } finally {
      await phone.detach();
    }
  } finally {
    await run.stop();
  }
  return authPath;
}
