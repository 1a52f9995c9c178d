/** What is saved of the session: the Chromium profile LocalAuth keeps. */
export interface SessionInfo {
  /** Null until the first look has finished: not known yet, neither present nor absent. */
  readonly exists: boolean | null;
  /** Newest modification time of anything in the profile; null when absent. */
  readonly lastModified: Date | null;
  /** Bytes, summed over regular files. */
  readonly size: number;
  readonly path: string;
  /** When this picture was taken: the inspector walks the profile off the request path. */
  readonly checkedAt: Date;
}

export interface SessionInspector {
  /** The last picture taken; never touches the disk. */
  current(): SessionInfo;
  /** Walks the profile now; concurrent calls share one walk. */
  refresh(): Promise<SessionInfo>;
}

/**
 * Where the session is saved and what is there. The supervisor deletes it through this port,
 * only once the browser is gone; HTTP reads the picture.
 */
export interface SessionStore extends SessionInspector {
  /** Deletes the saved session. */
  wipe(): Promise<void>;
}
