// Weeks of uptime are hundreds of browser restarts. Whatever node keeps per restart (a listener
// on a long-lived emitter, a closure over the old client, a map keyed by something that never
// repeats) adds up to an OOM kill on a 512 MB instance. The built daemon, started as Render
// starts it, restarts its browser 50 times; node's heap after a full GC may not grow past the
// bound below, nor may its anonymous memory (malloc's arenas), its listeners, handles or file
// descriptors.
import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { renderRuntimeEnv, renderStartFlags } from '../../bench/lib/start-flags';
import { CrashCheck } from '../support/crash-check';
import { Daemon, Sandbox } from '../support/daemon';
import { NodeInspector } from '../support/node-inspector';
import { applyFault, type SoakFault } from '../soak/soak-faults';
import { PhoneLink } from '../soak/phone-link';
import { takeSample, type Sample } from '../soak/probe';
import { sessionPaths } from '../../src/config/session-paths';

const WARM_UP = 6;
const RESTARTS = 50;
/** 2 MiB over 50 restarts, 40 KiB a restart: V8's compiled code still warming up is under it. */
const HEAP_BOUND_BYTES = 2 * 2 ** 20;
/**
 * 3 MiB of node's anonymous memory over 50 restarts. Scans of /proc that read every process's
 * files at once through 64 KiB malloc buffers made glibc's heap climb by 0.1-0.2 MiB a restart
 * (5-9 MiB here). Anonymous, not PSS: node's PSS also counts its share of the node binary's
 * pages, which moves by megabytes when other node processes on the machine start or end.
 */
const NODE_ANON_BOUND_BYTES = 3 * 2 ** 20;
const RESTART_KINDS: readonly SoakFault[] = ['browser SIGKILL', 'socket CONFLICT', 'socket UNPAIRED'];

let sandbox: Sandbox;
let daemon: Daemon;
let inspector: NodeInspector;
let phone: PhoneLink;

before(async () => {
  sandbox = await Sandbox.create();
  daemon = await Daemon.start(sandbox, {
    entry: 'built',
    nodeFlags: [...renderStartFlags(), '--inspect=127.0.0.1:0'],
    env: { ...renderRuntimeEnv(), LOG_LEVEL: 'info', RECONNECT_BASE_MS: '100', RECONNECT_MAX_MS: '200' },
  });
  phone = new PhoneLink(sandbox.profileDir);
  await daemon.waitForState('qr');
  await phone.use((p) => p.scan());
  await daemon.waitForState('ready');
  const url = NodeInspector.urlIn(daemon.lines);
  assert.ok(url, 'the daemon printed its inspector URL');
  inspector = await NodeInspector.connect(url);
});

const crashes = new CrashCheck();
afterEach(() => crashes.check([daemon]));

after(async () => {
  inspector?.close();
  await phone?.drop();
  await daemon?.stop();
  await sandbox?.dispose();
});

async function restart(n: number): Promise<void> {
  await phone.exclusive(() => applyFault(RESTART_KINDS[n % RESTART_KINDS.length] as SoakFault, daemon, phone));
}

async function settledSample(reconnects: number): Promise<Sample> {
  const target = { pid: daemon.pid, profileDir: sandbox.profileDir, databaseFile: sessionPaths(sandbox.authPath, 'e2e').databaseFile };
  // Three GCs a second apart: the smallest heap is the one with no half-finished restart in it.
  const samples: Sample[] = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    samples.push(await takeSample(target, inspector, { hours: 0, reconnects }));
  }
  return samples.reduce((a, b) => (b.heapBytes < a.heapBytes ? b : a));
}

it(
  `${RESTARTS} browser restarts: node's heap after GC grows by at most ${HEAP_BOUND_BYTES / 2 ** 20} MiB and its anonymous memory by ${NODE_ANON_BOUND_BYTES / 2 ** 20} MiB, no listener, handle or descriptor is left behind`,
  { timeout: 420_000 },
  async (t) => {
    for (let i = 0; i < WARM_UP; i++) await restart(i);
    const first = await settledSample(WARM_UP);
    for (let i = 0; i < RESTARTS; i++) await restart(WARM_UP + i);
    const last = await settledSample(WARM_UP + RESTARTS);
    const growth = last.heapBytes - first.heapBytes;
    const pssGrowth = last.nodePssBytes - first.nodePssBytes;
    const anonGrowth = last.nodeAnonBytes - first.nodeAnonBytes;
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);
    const perRestart = (bytes: number): string => `${(bytes / RESTARTS / 1024).toFixed(1)} KiB a restart`;
    t.diagnostic(
      `heap after GC ${mib(first.heapBytes)} -> ${mib(last.heapBytes)} MiB (${perRestart(growth)}); node anonymous ${mib(first.nodeAnonBytes)} -> ${mib(last.nodeAnonBytes)} MiB (${perRestart(anonGrowth)}); node PSS ${mib(first.nodePssBytes)} -> ${mib(last.nodePssBytes)} MiB (${perRestart(pssGrowth)}); listeners ${first.listeners} -> ${last.listeners}; fds ${first.fds} -> ${last.fds}`,
    );
    assert.equal(daemon.transitions().filter((s) => s === 'qr').length, 1, 'no restart asked for a QR');
    assert.ok(growth <= HEAP_BOUND_BYTES, `node's heap kept ${mib(growth)} MiB over ${RESTARTS} restarts`);
    assert.ok(anonGrowth <= NODE_ANON_BOUND_BYTES, `node's anonymous memory grew ${mib(anonGrowth)} MiB over ${RESTARTS} restarts`);
    assert.ok(last.listeners <= first.listeners + 2, `listeners ${first.listeners} -> ${last.listeners}: ${JSON.stringify(last.listenersByClass)}`);
    assert.ok(last.fds <= first.fds + 2, `file descriptors ${first.fds} -> ${last.fds}`);
    const handles = (s: Sample): number => Object.values(s.resources).reduce((a, b) => a + b, 0);
    assert.ok(handles(last) <= handles(first) + 3, `handles ${JSON.stringify(first.resources)} -> ${JSON.stringify(last.resources)}`);
  },
);
