/** What is on disk for the session: the Chromium profile LocalAuth keeps. */
export interface SessionInfo {
  readonly exists: boolean;
  /** Newest modification time of anything in the profile; null when absent. */
  readonly lastModified: Date | null;
  /** Bytes, summed over regular files. */
  readonly size: number;
  readonly files: number;
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
