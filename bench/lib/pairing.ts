/**
 * One paired profile per contender, made the way a user makes one: start on an empty
 * profile, scan the QR with the simulated phone, wait for `ready`, stop cleanly. Every
 * measured run then starts from a copy of it: a restored start, no QR.
 */
import { SimPhone } from '../../test/sim';
import { type BenchContext, startBare, startDaemon } from './contenders';

export async function pairTemplate(ctx: BenchContext, kind: 'daemon' | 'bare', chromiumArgs?: readonly string[]): Promise<string> {
  const authPath = await ctx.dirs.newAuthPath(`template-${kind}`);
  const run = kind === 'daemon' ? await startDaemon(ctx, authPath) : startBare(ctx, authPath, chromiumArgs);
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
