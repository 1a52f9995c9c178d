import { randomUUID } from 'node:crypto';
import type { Page } from 'puppeteer';

/** What a staged file's MessageMedia carries as its `data`: a name for bytes already in the page. */
export const STAGED_PREFIX = 'wa-tether-staged:';
/** Bytes per page.evaluate: small enough that no step holds more than a few MiB at once. */
export const STAGE_CHUNK_BYTES = 1_048_576;

interface StagingWindow {
  __waTetherStaged?: Map<string, Uint8Array[]>;
  WWebJS?: {
    mediaInfoToFile?: (info: { data: string; mimetype: string; filename: string }) => File;
    __waTetherStaging?: boolean;
  };
}

/**
 * Puts a file's bytes into the page a chunk at a time and returns the name its MessageMedia
 * carries instead of the bytes. whatsapp-web.js 1.34.7 hands a MessageMedia to the page in one
 * page.evaluate, as one base64 string (a 16 MiB file is a 21 MiB string in node, in the DevTools
 * message, in the browser and in the renderer, then `atob`'s copy): its page-side
 * `WWebJS.mediaInfoToFile`, which every non-sticker send goes through, is wrapped here to build
 * the File from the staged chunks instead.
 */
export async function stageFile(page: Page, bytes: Buffer): Promise<string> {
  const token = `${STAGED_PREFIX}${randomUUID()}`;
  await page.evaluate(
    (token: string, prefix: string) => {
      const scope = window as unknown as StagingWindow;
      scope.__waTetherStaged ??= new Map();
      scope.__waTetherStaged.set(token, []);
      const utils = scope.WWebJS;
      if (utils?.mediaInfoToFile === undefined || utils.__waTetherStaging === true) return;
      const original = utils.mediaInfoToFile;
      utils.mediaInfoToFile = (info) => {
        const staged = typeof info.data === 'string' && info.data.startsWith(prefix) ? scope.__waTetherStaged?.get(info.data) : undefined;
        if (staged === undefined) return original(info);
        scope.__waTetherStaged?.delete(info.data);
        return new File(staged as BlobPart[], info.filename, { type: info.mimetype, lastModified: Date.now() });
      };
      utils.__waTetherStaging = true;
    },
    token,
    STAGED_PREFIX,
  );
  for (let offset = 0; offset < bytes.length; offset += STAGE_CHUNK_BYTES) {
    const chunk = bytes.subarray(offset, offset + STAGE_CHUNK_BYTES).toString('base64');
    await page.evaluate(
      (token: string, chunk: string) => {
        const parts = (window as unknown as StagingWindow).__waTetherStaged?.get(token);
        if (parts === undefined) throw new Error('The page lost a staged file (it reloaded); the send is tried again.');
        const binary = atob(chunk);
        const view = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) view[i] = binary.charCodeAt(i);
        parts.push(view);
      },
      token,
      chunk,
    );
  }
  return token;
}

/** Forgets a staged file the send did not use (it failed before the page took it). */
export async function dropStaged(page: Page, token: string): Promise<void> {
  await page.evaluate((token: string) => void (window as unknown as StagingWindow).__waTetherStaged?.delete(token), token).catch(() => undefined);
}

/** Whether the page's WWebJS builds files from staged chunks (for tests). */
export function stagingInstalled(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as StagingWindow).WWebJS?.__waTetherStaging === true);
}
