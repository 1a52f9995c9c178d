/**
 * Owns the Chromium profile directory's hygiene. Only safe because the daemon holds
 * the exclusive instance lock on AUTH_PATH: any Chromium using our profile is ours.
 */
export interface ProfileGuard {
  /** Before a launch: end Chromium processes still holding the profile, then clear stale Singleton* locks. */
  prepare(): Promise<void>;
  /** After a teardown: end any Chromium process still holding the profile; returns how many were ended. */
  killLeftovers(): Promise<number>;
}
