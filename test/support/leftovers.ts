import { endProcesses, findProfileProcesses } from '../../src/chromium/chromium-processes';

/** Ends Chromium processes still holding `profileDir` (a run that did not close its browser); returns how many. */
export async function endLeftovers(profileDir: string): Promise<number> {
  const leftovers = await findProfileProcesses(profileDir).catch(() => []);
  if (leftovers.length > 0) await endProcesses(leftovers, 1_000);
  return leftovers.length;
}
