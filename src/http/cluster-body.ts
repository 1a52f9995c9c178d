import type { ClusterStatus } from '../cluster/build-cluster';
import type { ClusterBody, ClusterDetailBody } from './bodies';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** What everyone may know: the role, and the one-line problem. */
export function toClusterBody(status: ClusterStatus): ClusterBody {
  return { role: status.role, problem: status.problem };
}

/** For authorized callers: the database, the lease and the saved session as well. */
export function toClusterDetailBody(status: ClusterStatus): ClusterDetailBody {
  const { lease, backup } = status;
  return {
    ...toClusterBody(status),
    database: status.database,
    lease: {
      self: lease.self,
      holder: lease.holder,
      generation: lease.generation,
      expiresAt: iso(lease.expiresAt),
      checkedAt: iso(lease.checkedAt),
      lastError: lease.lastError,
    },
    sessionBackup: {
      version: backup.version,
      lastSavedAt: iso(backup.lastSavedAt),
      lastAttemptAt: iso(backup.lastAttemptAt),
      lastError: backup.lastError,
      saves: backup.saves,
      failures: backup.failures,
      prepared: backup.prepared,
    },
  };
}
