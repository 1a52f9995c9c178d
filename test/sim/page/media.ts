/**
 * Media both ways, as whatsapp-web.js 1.34.7's media code runs it: the modules its
 * `processMediaData`, `processStickerData`, `toStickerData` and `Message.downloadMedia()` call,
 * and the simulated CDN that holds the files.
 *
 * Sending (Utils.js `processMediaData`): File -> `OpaqueData.createFromData` -> `prepRawMedia(...)
 * .waitForPrep()` (a MediaData model: type, mimetype, filehash, size, ...) -> `getOrCreateMediaObject`
 * -> `consolidate` -> the in-memory blob cache -> `uploadMedia` (the CDN keeps the bytes, answers a
 * mediaEntry) -> the MediaData, spread into the message. Stickers skip all of it: the webp File goes
 * to `UploadManager.encryptAndUpload` directly.
 * Receiving (Message.js `downloadMedia`): `msg.mediaData.mediaStage`, `msg.downloadMedia()` when it
 * is not RESOLVED, then `downloadManager.downloadAndMaybeDecrypt({directPath, ...})` for the bytes.
 *
 * Nothing is encrypted: `mediaKey` and `encFilehash` have the real shapes and no meaning.
 */
import { type Attributes, Model } from './backbone';
import { decodeB64, encodeB64, randomBytes, randomHex } from './ids';
import { mediaDelete, mediaGet, mediaPut } from './storage';
import { cfg, type MediaRef } from './state';
import { log, simError, sleep } from './trace';
import type { SimIncomingMedia, SimMediaType } from './types';

// ---- the simulated CDN ----------------------------------------------------------------------

/** A file on the CDN. Kept in page memory and in IndexedDB (`media`), so it survives a reload. */
export interface CdnFile {
  directPath: string;
  blob: Blob;
  mimetype: string;
  size: number;
  /** hex SHA-256 of the bytes. */
  sha256: string;
  /** The same, base64: WhatsApp's `filehash`. */
  filehash: string;
  encFilehash: string;
  mediaKey: string;
  mediaKeyTimestamp: number;
  /** Expired: the CDN answers 404 and the sender no longer has it. */
  gone: boolean;
}

const cdn = new Map<string, CdnFile>();

async function sha256(blob: Blob): Promise<{ hex: string; b64: string }> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return { hex: Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join(''), b64: encodeB64(digest) };
}

async function cdnUpload(blob: Blob, mimetype: string, options: { mediaKey?: string; gone?: boolean } = {}): Promise<CdnFile> {
  const hash = await sha256(blob);
  const file: CdnFile = {
    directPath: `/v/t62.7118-24/${randomHex(12).toLowerCase()}_n.enc?ccb=11-4&mms3=true`,
    blob,
    mimetype,
    size: blob.size,
    sha256: hash.hex,
    filehash: hash.b64,
    encFilehash: encodeB64(randomBytes(32)),
    mediaKey: options.mediaKey ?? encodeB64(randomBytes(32)),
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    gone: options.gone ?? false,
  };
  cdn.set(file.directPath, file);
  await mediaPut(file.directPath, file);
  log('cdn-upload', { directPath: file.directPath, size: file.size, mimetype, gone: file.gone });
  return file;
}

/** The file at `directPath`, from memory or (after a reload) from IndexedDB. */
export async function cdnFile(directPath: string): Promise<CdnFile | undefined> {
  const hit = cdn.get(directPath);
  if (hit) return hit;
  const stored = await mediaGet<CdnFile>(directPath);
  if (stored) cdn.set(directPath, stored);
  return stored;
}

/** The file just uploaded from this page (synchronous: the send path needs it in the same task). */
export function cdnPeek(directPath: string): CdnFile | undefined {
  return cdn.get(directPath);
}

export async function cdnForget(directPaths: readonly string[]): Promise<void> {
  for (const path of directPaths) cdn.delete(path);
  if (directPaths.length > 0) await mediaDelete(directPaths);
}

function notFound(directPath: string): Error {
  // Message.downloadMedia() treats `status === 404` as "no media" (undefined), anything else as a throw.
  return Object.assign(simError(`media not found on the CDN: ${directPath}`), { status: 404 });
}

// ---- OpaqueData, MediaData, MediaObject ---------------------------------------------------

/** `WAWebMediaOpaqueData`: a Blob (a File keeps its name) with an object URL. The library uses it as a class. */
export class OpaqueData {
  private objectUrl: string | null = null;

  private constructor(readonly blob: Blob) {}

  static createFromData(data: Blob | ArrayBuffer | Uint8Array<ArrayBuffer>, type?: string): Promise<OpaqueData> {
    if (data instanceof Blob) return Promise.resolve(new OpaqueData(data));
    return Promise.resolve(new OpaqueData(new Blob([data], { type: type ?? '' })));
  }

  get type(): string {
    return this.blob.type;
  }
  get size(): number {
    return this.blob.size;
  }
  url(): string {
    this.objectUrl ??= URL.createObjectURL(this.blob);
    return this.objectUrl;
  }
  /** Released a while later, like WhatsApp's autorelease once nothing renders it. */
  autorelease(): void {
    setTimeout(() => this.release(), 60_000);
  }
  release(): void {
    if (this.objectUrl !== null) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
  }
  /** What an upload sends: the Blob itself. */
  formData(): Blob {
    return this.blob;
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.blob.arrayBuffer();
  }
}

/**
 * WhatsApp's MediaData model: `waitForPrep()` answers one; the library assigns `mediaBlob`,
 * `renderableUrl`, `waveform` and `caption` on it and spreads it (and its `toJSON()`) into the
 * message, so every key it touches is an attribute from the start.
 */
export class MediaData extends Model {
  constructor(attrs: Attributes) {
    super({
      mediaStage: 'INIT',
      isGif: false,
      filename: undefined,
      preview: undefined,
      renderableUrl: undefined,
      waveform: undefined,
      caption: undefined,
      isViewOnce: undefined,
      ...attrs,
    });
  }
  toJSON(): Attributes {
    return { ...this.attributes };
  }
}

/** `WAWebMediaStorage`'s media object: one per filehash; the library reads `contentInfo.waveform`. */
export class MediaObject extends Model {
  readonly contentInfo: { waveform?: Uint8Array } = {};

  constructor(attrs: Attributes) {
    super(attrs);
    Object.defineProperty(this, 'contentInfo', { enumerable: false });
  }
  consolidate(json: Attributes): void {
    this.set(json);
  }
}

const mediaObjects = new Map<string, MediaObject>();

export function getOrCreateMediaObject(filehash: string): MediaObject {
  const hit = mediaObjects.get(filehash);
  if (hit) return hit;
  const created = new MediaObject({ filehash });
  mediaObjects.set(filehash, created);
  return created;
}

// ---- prep: which kind of media a file is ----------------------------------------------------

interface PrepParams {
  asSticker?: boolean;
  asGif?: boolean;
  isPtt?: boolean;
  asDocument?: boolean;
  maxDimension?: number;
}

/** What WhatsApp makes of a file: by mimetype, unless the sender asked for a sticker, a voice note or a file. */
export function mediaTypeOf(mimetype: string, params: PrepParams): SimMediaType {
  if (params.asSticker) return 'sticker';
  if (params.asDocument) return 'document';
  if (mimetype.startsWith('image/')) return 'image';
  if (mimetype.startsWith('video/')) return 'video';
  if (mimetype.startsWith('audio/')) return params.isPtt ? 'ptt' : 'audio';
  return 'document';
}

/** A small JPEG thumbnail, base64, as WhatsApp puts in an image message's body; none if the image does not decode. */
async function thumbnail(blob: Blob): Promise<{ preview?: string; width?: number; height?: number }> {
  try {
    const bitmap = await createImageBitmap(blob);
    const { width, height } = bitmap;
    const scale = Math.min(1, 100 / Math.max(width, height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.5 });
    return { preview: encodeB64(new Uint8Array(await jpeg.arrayBuffer())), width, height };
  } catch {
    return {};
  }
}

async function prep(opaque: OpaqueData, params: PrepParams): Promise<MediaData> {
  const blob = opaque.blob;
  const mimetype = blob.type || 'application/octet-stream';
  const type = mediaTypeOf(mimetype, params);
  const hash = await sha256(blob);
  // Only a document message has a file name. The library makes the File with `new File([blob],
  // filename)`: a MessageMedia without a filename arrives here named "undefined".
  const filename = type === 'document' && blob instanceof File ? blob.name : undefined;
  const picture = type === 'image' ? await thumbnail(blob) : {};
  log('prep', { type, mimetype, size: blob.size, filename: filename ?? null });
  return new MediaData({
    type,
    mimetype,
    filehash: hash.b64,
    size: blob.size,
    mediaBlob: opaque,
    isGif: type === 'video' && Boolean(params.asGif),
    filename,
    mediaStage: 'RESOLVED',
    ...picture,
  });
}

/** `WAWebPrepRawMedia.prepRawMedia`: answers at once; the work is behind `waitForPrep()`. */
export function prepRawMedia(opaque: OpaqueData, params: PrepParams = {}): { waitForPrep: () => Promise<MediaData> } {
  if (!(opaque instanceof OpaqueData)) throw simError('prepRawMedia: expected an OpaqueData');
  const prepared = prep(opaque, params ?? {});
  return { waitForPrep: () => prepared };
}

/** `WAWebMmsMediaTypes.msgToMediaType`: the upload's media type; a GIF is a video played in a loop. */
export function msgToMediaType(input: { type?: unknown; isGif?: unknown }): string {
  const type = typeof input?.type === 'string' ? input.type : 'document';
  return type === 'video' && input.isGif ? 'gif' : type;
}

/** The in-memory blob cache the library fills before an upload (`InMemoryMediaBlobCache.put(filehash, blob)`). */
export const blobCache = new Map<string, Blob>();

/** `WAWebMediaDataUtils.shouldUseMediaCache`: what WhatsApp keeps in memory to show at once. */
export function shouldUseMediaCache(type: unknown): boolean {
  return type === 'image' || type === 'sticker' || type === 'ptt';
}

// ---- upload ------------------------------------------------------------------------------

interface MediaEntry {
  mmsUrl: string;
  deprecatedMms3Url: string;
  directPath: string;
  mediaKey: string;
  mediaKeyTimestamp: number;
  encFilehash: string;
  uploadHash: string;
  sidecar: undefined;
  firstFrameSidecar: undefined;
  handle: string | null;
}

function mediaEntry(file: CdnFile): MediaEntry {
  const url = `https://mmg.whatsapp.net${file.directPath}`;
  return {
    mmsUrl: url,
    deprecatedMms3Url: url,
    directPath: file.directPath,
    mediaKey: file.mediaKey,
    mediaKeyTimestamp: file.mediaKeyTimestamp,
    encFilehash: file.encFilehash,
    uploadHash: file.encFilehash,
    sidecar: undefined,
    firstFrameSidecar: undefined,
    handle: null,
  };
}

/** `WAWebMediaMmsV4Upload.uploadMedia({mimetype, mediaObject, mediaType})`: the bytes come from the blob cache or the media object. */
export async function uploadMedia(input: { mimetype?: string; mediaObject?: MediaObject; mediaType?: string }): Promise<{ mediaEntry: MediaEntry }> {
  const mediaObject = input?.mediaObject;
  if (!(mediaObject instanceof MediaObject)) throw simError('uploadMedia: no mediaObject');
  const filehash = String(mediaObject.get('filehash'));
  const opaque = mediaObject.get('mediaBlob');
  const blob = blobCache.get(filehash) ?? (opaque instanceof OpaqueData ? opaque.formData() : undefined);
  if (!blob) throw simError(`uploadMedia: no bytes for filehash ${filehash}`);
  const file = await cdnUpload(blob, input.mimetype ?? blob.type);
  if (file.filehash !== filehash) throw simError(`uploadMedia: the bytes do not match filehash ${filehash}`);
  return { mediaEntry: mediaEntry(file) };
}

/** `WAWebUploadManager.encryptAndUpload`: the sticker path (`processStickerData`) uploads the File itself. */
export async function encryptAndUpload(input: { blob?: Blob; type?: string; mediaKey?: string; signal?: AbortSignal }): Promise<Attributes> {
  const blob = input?.blob;
  if (!(blob instanceof Blob)) throw simError('encryptAndUpload: no blob');
  if (input.signal?.aborted) throw simError('encryptAndUpload: aborted');
  const file = await cdnUpload(blob, blob.type, { mediaKey: input.mediaKey });
  // No mimetype in the answer: a sticker sent by the library carries none.
  return {
    url: `https://mmg.whatsapp.net${file.directPath}`,
    directPath: file.directPath,
    encFilehash: file.encFilehash,
    mediaKey: file.mediaKey,
    mediaKeyTimestamp: file.mediaKeyTimestamp,
  };
}

/** A QPL (performance logger) stand-in: every call answers itself. */
export function qpl(): Record<string, () => unknown> {
  const logger: Record<string, () => unknown> = {};
  for (const name of ['addAnnotations', 'addPoint', 'end', 'endSuccess', 'endFail', 'startSpan']) logger[name] = () => logger;
  return logger;
}

// ---- stickers ------------------------------------------------------------------------------

/**
 * `WAWebImageUtils.toWebpSticker(file)`: what `toStickerData` asks for an image that is not webp.
 * Like WhatsApp: 512x512, the image contained and centred on a transparent square, encoded as webp
 * by the browser's canvas.
 */
export async function toWebpSticker(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const side = 512;
  const scale = Math.min(side / bitmap.width, side / bitmap.height);
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = new OffscreenCanvas(side, side);
  const context = canvas.getContext('2d');
  if (!context) throw simError('toWebpSticker: no 2d context');
  context.drawImage(bitmap, Math.floor((side - width) / 2), Math.floor((side - height) / 2), width, height);
  bitmap.close();
  const webp = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
  if (webp.type !== 'image/webp') throw simError(`toWebpSticker: this browser encoded ${webp.type}, not webp`);
  log('to-webp-sticker', { from: file.type, size: webp.size });
  return webp;
}

// ---- receiving -----------------------------------------------------------------------------

/** The phone uploads what it sends before the message goes out; the message only refers to it. */
export async function receiveMedia(input: SimIncomingMedia): Promise<MediaRef> {
  if (typeof input.data !== 'string' || typeof input.mimetype !== 'string' || input.mimetype === '') {
    throw simError('incoming: media needs {data (base64), mimetype}');
  }
  const flags = [input.asVoice, input.asSticker, input.asDocument].filter(Boolean).length;
  if (flags > 1) throw simError('incoming: at most one of media.asVoice, asSticker, asDocument');
  if (input.asVoice && !input.mimetype.startsWith('audio/')) throw simError(`incoming: a voice note is audio/*, got ${input.mimetype}`);
  if (input.asSticker && input.mimetype !== 'image/webp') throw simError(`incoming: a sticker is image/webp, got ${input.mimetype}`);
  const type = mediaTypeOf(input.mimetype, { asSticker: input.asSticker, isPtt: input.asVoice, asDocument: input.asDocument });
  if (input.filename !== undefined && type !== 'document') {
    throw simError(`incoming: only a document carries a file name (this is ${type}); WhatsApp's ${type} messages have none`);
  }
  const blob = new Blob([decodeB64(input.data)], { type: input.mimetype });
  const file = await cdnUpload(blob, input.mimetype, { gone: input.downloadFails === true });
  return {
    type,
    mimetype: input.mimetype,
    filename: input.filename,
    size: file.size,
    filehash: file.filehash,
    encFilehash: file.encFilehash,
    mediaKey: file.mediaKey,
    mediaKeyTimestamp: file.mediaKeyTimestamp,
    directPath: file.directPath,
  };
}

/** The message attributes of a media message (body: none; the caption is the text). */
export function mediaAttributes(ref: MediaRef, caption: string): Attributes {
  return {
    type: ref.type,
    body: undefined,
    caption: caption === '' ? undefined : caption,
    mimetype: ref.mimetype,
    filename: ref.filename,
    size: ref.size,
    filehash: ref.filehash,
    encFilehash: ref.encFilehash,
    mediaKey: ref.mediaKey,
    mediaKeyTimestamp: ref.mediaKeyTimestamp,
    directPath: ref.directPath,
    clientUrl: `https://mmg.whatsapp.net${ref.directPath}`,
    deprecatedMms3Url: `https://mmg.whatsapp.net${ref.directPath}`,
    isGif: false,
    isViewOnce: false,
  };
}

// ---- a message's media: msg.mediaData, msg.downloadMedia() --------------------------------

const mediaOfMessage = new WeakMap<object, MediaData>();

export function mediaDataOf(msg: object): MediaData | undefined {
  return mediaOfMessage.get(msg);
}

export function mediaObjectOf(msg: object): MediaObject | undefined {
  const data = mediaOfMessage.get(msg);
  return data ? mediaObjects.get(String(data.get('filehash'))) : undefined;
}

/** Gives a media message its MediaData: an incoming one starts INIT (not downloaded), a sent one RESOLVED. */
export function attachMedia(msg: Model, mediaStage: 'INIT' | 'RESOLVED', message: Attributes): void {
  const attrs: Attributes = {};
  for (const key of ['type', 'mimetype', 'filename', 'size', 'filehash', 'directPath', 'mediaKey', 'isGif']) attrs[key] = message[key];
  mediaOfMessage.set(msg, new MediaData({ ...attrs, mediaStage }));
  getOrCreateMediaObject(String(attrs.filehash)).consolidate(attrs);
}

/**
 * `msg.downloadMedia({downloadEvenIfExpensive, rmrReason})`: resolves the media stage. An expired
 * file: the CDN answers 404, the app asks the phone to upload it again (REUPLOADING), the phone no
 * longer has it: ERROR_MISSING (then the library's downloadMedia() answers undefined).
 */
export async function resolveMedia(msg: Model): Promise<void> {
  const data = mediaOfMessage.get(msg);
  if (!data || data.get('mediaStage') === 'RESOLVED') return;
  data.set({ mediaStage: 'FETCHING' });
  const file = await cdnFile(String(msg.get('directPath')));
  if (file && !file.gone) {
    data.set({ mediaStage: 'RESOLVED' });
    return;
  }
  data.set({ mediaStage: 'REUPLOADING' });
  await sleep(cfg.mediaDownloadDelayMs);
  data.set({ mediaStage: 'ERROR_MISSING' });
  log('media-missing', { directPath: String(msg.get('directPath')) });
}

/** `WAWebDownloadManager.downloadManager.downloadAndMaybeDecrypt({directPath, ...})`: the bytes, as an ArrayBuffer. */
export async function downloadAndMaybeDecrypt(input: { directPath?: string; signal?: AbortSignal }): Promise<ArrayBuffer> {
  const directPath = String(input?.directPath);
  await sleep(cfg.mediaDownloadDelayMs);
  if (input?.signal?.aborted) throw simError('download aborted');
  const file = await cdnFile(directPath);
  if (!file || file.gone) throw notFound(directPath);
  log('cdn-download', { directPath, size: file.size });
  return file.blob.arrayBuffer();
}

/** The bytes of a file on the CDN, base64 (for `__sim.outboxMedia`). */
export async function cdnBase64(directPath: string): Promise<string> {
  const file = await cdnFile(directPath);
  if (!file) throw simError(`no file on the CDN at ${directPath}`);
  return encodeB64(new Uint8Array(await file.blob.arrayBuffer()));
}
