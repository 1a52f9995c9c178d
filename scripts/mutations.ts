/** The realistic bugs `npm run test:mutate` puts into the source, one at a time; the suites must catch each. */
export interface Mutation {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  /** The bug it stands for. */
  readonly bug: string;
}

export const MUTATIONS: readonly Mutation[] = [
  {
    bug: 'the reconnect budget resets at login instead of at ready (an authenticated-never-ready client retries forever)',
    file: 'src/session/client-events.ts',
    from: "o.holder.move('authenticated', { qr: null, message: 'Logged in; syncing with the phone.' });",
    to: "o.holder.move('authenticated', { qr: null, reconnectAttempt: 0, message: 'Logged in; syncing with the phone.' });",
  },
  {
    bug: 'the current QR is not a logger secret',
    file: 'src/app/announce-qr.ts',
    from: 'options.secrets.setQr(qr.payload);',
    to: '',
  },
  {
    bug: 'the metadata file is written in place, not temp + fsync + rename',
    file: 'src/common/write-file-atomic.ts',
    from: "const handle = await (options.openFile ?? open)(temp, 'wx', options.mode ?? 0o600);",
    to: "const handle = await (options.openFile ?? open)(file, 'w', options.mode ?? 0o600);",
  },
  {
    bug: 'a remote logout is taken for a connection loss (the unlinked session is reconnected forever)',
    file: 'src/session/client-events.ts',
    from: "if (event.reason === 'LOGOUT')",
    to: "if (event.reason === 'LOGOUT_')",
  },
  {
    bug: 'UNPAIRED as a socket state is taken for a logout (the session is wiped on a network blip)',
    file: 'src/session/client-events.ts',
    from: "if (event.reason === 'LOGOUT')",
    to: "if (event.reason === 'LOGOUT' || event.reason === 'UNPAIRED')",
  },
  {
    bug: 'closing a client logs out instead of destroying (every restart unpairs)',
    file: 'src/session/client-teardown.ts',
    from: 'await withTimeout(handle.client.destroy(), DESTROY_TIMEOUT_MS',
    to: 'await withTimeout(handle.client.logout(), DESTROY_TIMEOUT_MS',
  },
  {
    bug: 'the reconnect delay is not capped',
    file: 'src/common/backoff.ts',
    from: 'return Math.round(Math.min(policy.maxMs, jittered));',
    to: 'return Math.round(jittered);',
  },
  {
    bug: 'the first reconnect waits twice the base delay',
    file: 'src/common/backoff.ts',
    from: 'Math.min(attempt - 1, 30)',
    to: 'Math.min(attempt, 30)',
  },
  {
    bug: 'the watchdog probes once and never again',
    file: 'src/session/watchdog.ts',
    from: 'if (failure === null) this.schedule(client);',
    to: 'if (failure === null) return;',
  },
  {
    bug: 'events from a retired client still count (a client being torn down moves the state)',
    file: 'src/session/client-slot.ts',
    from: 'if (handle?.generation === generation) onEvent(handle, event);',
    to: 'if (handle) onEvent(handle, event);',
  },
  {
    bug: 'health fails while waiting for a QR (Render restarts a daemon that only needs a scan)',
    file: 'src/http/routes/health.ts',
    from: "return state === 'ready' ? 'pass' : 'warn';",
    to: "return state === 'ready' ? 'pass' : 'fail';",
  },
  {
    bug: 'without ADMIN_TOKEN, every client is admin',
    file: 'src/http/admin-auth.ts',
    from: "if (admin === null && isLoopbackAddress(facts.remoteAddress)) return isPlainlyLocal(facts) ? 'granted' : 'not-local';",
    to: "if (admin === null) return 'granted';",
  },
  {
    bug: 'the QR payload leaks into the public snapshot (SSE, status)',
    file: 'src/http/public-snapshot.ts',
    from: 'hasQr: snapshot.qr !== null,',
    to: 'hasQr: snapshot.qr !== null, qr: snapshot.qr?.payload,',
  },
  {
    bug: 'concurrent clears are not shared (two logouts, two wipes, two browsers)',
    file: 'src/session/session-supervisor.ts',
    from: 'this.clearPromise ??= this.lifecycle.queue',
    to: 'this.clearPromise = this.lifecycle.queue',
  },
  {
    bug: 'a live lock holder is taken for a stale one (two daemons on one session)',
    file: 'src/storage/lock/stale-lock.ts',
    from: "return { kind: 'alive' };",
    to: "return { kind: 'stale', reason: 'mutated' };",
  },
  {
    bug: 'a metadata update forgets the fields it does not set',
    file: 'src/storage/session-metadata.ts',
    from: 'return this.store({ ...(await this.load()), ...defined });',
    to: 'return this.store({ ...EMPTY_METADATA, ...defined });',
  },
  {
    bug: 'bodies up to 16 MB are accepted',
    file: 'src/http/body-limits.ts',
    from: "const BODY_LIMIT = '16kb';",
    to: "const BODY_LIMIT = '16mb';",
  },
  {
    bug: 'a field named token is logged as it is',
    file: 'src/logging/redact.ts',
    from: '|cookie|set-cookie|token|',
    to: '|cookie|set-cookie|',
  },
  {
    bug: 'a QR for a saved session is not reported as expired',
    file: 'src/session/client-events.ts',
    from: 'const expired = holder.snapshot.sessionExpired || pairing.paired;',
    to: 'const expired = holder.snapshot.sessionExpired;',
  },
  {
    bug: "a refused pairing code leaves the page's own timer asking during the backoff",
    file: 'src/session/pairing-by-code.ts',
    from: 'during our backoff.\n    void handle.client.stopPairingCodes().catch(() => undefined);',
    to: 'during our backoff.',
  },
  {
    bug: 'a pairing code is asked for a linked account',
    file: 'src/session/session-lifecycle.ts',
    from: "if (this.holder.state !== 'qr' || handle === null || handle.wasAuthenticated) throw notWaitingForPairing(this.holder.state);\n    if (this.byCode.ask(",
    to: 'if (handle === null) throw notWaitingForPairing(this.holder.state);\n    if (this.byCode.ask(',
  },
  {
    bug: 'the metrics token opens every route',
    file: 'src/http/admin-auth.ts',
    from: "(scope === 'metrics' && isMetrics)) return 'granted';",
    to: "isMetrics) return 'granted';",
  },
  {
    bug: 'a failed write to stdout is thrown back at the logger',
    file: 'src/logging/safe-output.ts',
    from: 'this.breakDown(error as NodeJS.ErrnoException);\n      this.dropped++;',
    to: 'throw error;',
  },
  {
    bug: 'a refused transition is applied anyway',
    file: 'src/session/state-holder.ts',
    from: 'if (!isAllowedTransition(previous, state)) {',
    to: 'if (!isAllowedTransition(previous, state) && false) {',
  },
  {
    bug: "a save of the session is not fenced by the lease (a host that lost it overwrites the new holder's session)",
    file: 'src/storage/postgres/pg-session-vault.ts',
    from: '      // The fence, just before the version becomes current: held from here to the commit.\n      await assertHolder(client, this.clientId, fence);',
    to: '',
  },
  {
    bug: 'a holder that cannot renew keeps the lease until the standby takes it (two browsers on one account)',
    file: 'src/cluster/lease-keeper.ts',
    from: 'const remaining = Math.max(0, renewalStartedAt + this.options.ttlMs / 2 - this.options.clock.now());',
    to: 'const remaining = Math.max(0, renewalStartedAt + this.options.ttlMs * 2 - this.options.clock.now());',
  },
  {
    bug: 'the local profile is replaced at every takeover, like RemoteAuth (a newer local session is lost)',
    file: 'src/cluster/restore-decision.ts',
    from: "if (facts.current !== null) return facts.local && facts.localVersion === facts.current ? 'keep' : 'restore';",
    to: "if (facts.current !== null) return 'restore';",
  },
  {
    bug: 'a send WhatsApp took is tried again when recording it fails (sent twice after a database blip)',
    file: 'src/messaging/outbox-sender.ts',
    from: '      }\n    } catch (error) {\n      await this.failed(record, error);\n      return;\n    }',
    to: '      }\n      await store.markSent(record.id, { waMessageId: sent.id, sentAt: clock.now() }, []);\n    } catch (error) {\n      await this.failed(record, error);\n      return;\n    }',
  },
];
