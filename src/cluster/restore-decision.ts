/**
 * The replica's decision table, decided without clocks: what a new holder does with its local
 * profile given the database's versions and the record of which version the profile is.
 *
 * | database current | local profile            | decision |
 * |------------------|--------------------------|----------|
 * | a version        | none, or another version | restore  |
 * | a version        | that very version        | keep     |
 * | none             | a version this database had (`last >= it`) | forget: cleared elsewhere |
 * | none             | a version it never had (a new database), or none | keep |
 */
export type RestoreDecision = 'restore' | 'keep' | 'forget';

export interface RestoreFacts {
  /** The current saved version in the database; null when none is. */
  readonly current: number | null;
  /** The highest version the database ever numbered (0 when none). */
  readonly last: number;
  /** Which version the local profile is, by its record; null when never saved or unknown. */
  readonly localVersion: number | null;
  /** The local profile has the saved parts (IndexedDB, Local Storage). */
  readonly local: boolean;
}

export function decideRestore(facts: RestoreFacts): RestoreDecision {
  if (facts.current !== null) return facts.local && facts.localVersion === facts.current ? 'keep' : 'restore';
  // Our version was in this database and was deleted since: a clear or a logout on another
  // host, and the copy is dead. A database that never had it (a new one) leaves it alone.
  if (facts.local && facts.localVersion !== null && facts.last >= facts.localVersion) return 'forget';
  return 'keep';
}

/**
 * A clear made while the database was away is carried out once it is back: the saved versions
 * go, unless one was saved after the clear (by a host that paired anew meanwhile).
 */
export function pendingClearApplies(current: number | null, clearPending: number): boolean {
  return current !== null && current <= clearPending;
}
