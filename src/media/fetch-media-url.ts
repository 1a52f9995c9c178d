import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError, describeError } from '../common/errors';
import { tooLarge } from './decode-base64';
import { refusalFor } from './address-policy';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface MediaFetchOptions {
  readonly maxBytes: number;
  readonly allowPrivate: boolean;
  /** For the whole fetch, redirects included. */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** Injected by tests: a name that resolves to loopback, without DNS. */
  readonly lookup?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
}

export interface FetchedMedia {
  readonly bytes: Buffer;
  /** The Content-Type's media type, lowercased, without parameters; null when none. */
  readonly contentType: string | null;
  /** From Content-Disposition, else the URL's last segment when it has an extension. */
  readonly filename: string | null;
  readonly finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const defaultLookup = async (hostname: string): Promise<readonly ResolvedAddress[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** scheme://host[:port]/path: never the credentials or the query (signed URLs carry tokens there). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

const refused = (message: string): AppError =>
  new AppError('MEDIA_URL_REFUSED', `${message}. To resolve, host the file on a public http(s) address, or send it as base64 or multipart.`);
const failed = (message: string): AppError =>
  new AppError('MEDIA_FETCH_FAILED', `${message}. To resolve, check that the URL works (curl -I), or send the file as base64 or multipart.`);

/**
 * Fetches a media URL as an SSRF-minded client: http(s) only, every hop's name resolved and
 * each address checked before connecting, the connection made to the checked address (a second
 * lookup could answer otherwise), at most `maxRedirects` redirects, one deadline, and the size
 * limit enforced while the body streams.
 */
export async function fetchMediaUrl(raw: string, options: MediaFetchOptions): Promise<FetchedMedia> {
  const maxRedirects = options.maxRedirects ?? 3;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let url = parseUrl(raw);
  for (let hop = 0; ; hop++) {
    const address = await checkedAddress(url, options);
    const response = await request(url, address, options.maxBytes, deadline, options.timeoutMs ?? 30_000);
    if (response.redirect !== null) {
      if (hop >= maxRedirects) throw failed(`${describeUrl(url)} redirected more than ${maxRedirects} times`);
      url = parseUrl(response.redirect, url);
      continue;
    }
    return { ...response.media, finalUrl: url.toString() };
  }
}

function parseUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw refused('"media.url" is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw refused(`"media.url" must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username !== '' || url.password !== '')
    throw refused('"media.url" carries credentials (user:password@); they would be sent to every redirect');
  return url;
}

async function checkedAddress(url: URL, options: MediaFetchOptions): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: readonly ResolvedAddress[];
  if (/^[\d.]+$/.test(host) || host.includes(':')) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.lookup ?? defaultLookup)(host);
    } catch (error) {
      throw failed(`${url.host} does not resolve (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`);
    }
  }
  if (addresses.length === 0) throw failed(`${url.host} does not resolve`);
  // Every address, not only the first: a name may answer one public and one private address.
  for (const { address } of addresses) {
    const why = refusalFor(address, options.allowPrivate);
    if (why !== null) throw refused(`${describeUrl(url)} resolves to ${why}`);
  }
  return addresses[0]!;
}

type HopResult = { redirect: string; media: null } | { redirect: null; media: Omit<FetchedMedia, 'finalUrl'> };

function request(url: URL, address: ResolvedAddress, maxBytes: number, deadline: number, totalMs: number): Promise<HopResult> {
  return new Promise((resolve, reject) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return reject(failed(`${describeUrl(url)} did not answer within the fetch timeout (${totalMs} ms)`));
    const pinned: LookupFunction = (_hostname, opts, callback) => {
      if ((opts as { all?: boolean }).all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, [address]);
      else callback(null, address.address, address.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: 'GET', lookup: pinned, headers: { 'user-agent': 'wa-tether', accept: '*/*' }, agent: false });
    const timer = setTimeout(
      () => req.destroy(failed(`${describeUrl(url)} did not send the whole file within the fetch timeout (${totalMs} ms)`)),
      remaining,
    );
    const done = (outcome: () => void): void => {
      clearTimeout(timer);
      outcome();
    };
    req.on('error', (error: NodeJS.ErrnoException) =>
      done(() => reject(error instanceof AppError ? error : failed(`${describeUrl(url)} could not be fetched: ${error.code ?? error.message}`))),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        res.resume();
        const location = res.headers.location;
        if (location === undefined) return done(() => reject(failed(`${describeUrl(url)} answered HTTP ${status} without a Location`)));
        return done(() => resolve({ redirect: location, media: null }));
      }
      if (status < 200 || status > 299) {
        res.resume();
        return done(() =>
          reject(failed(`The media URL ${describeUrl(url)} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`)),
        );
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        return done(() => reject(tooLarge(declared, maxBytes)));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          return done(() => reject(tooLarge(null, maxBytes)));
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => done(() => reject(failed(`${describeUrl(url)} broke off: ${describeError(error)}`))));
      res.on('end', () =>
        done(() =>
          resolve({
            redirect: null,
            media: {
              bytes: Buffer.concat(chunks),
              contentType: mediaType(res.headers['content-type']),
              filename: filenameOf(res.headers['content-disposition'], url),
            },
          }),
        ),
      );
    });
    req.end();
  });
}

function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? null : type;
}

function filenameOf(disposition: string | undefined, url: URL): string | null {
  const star = disposition?.match(/filename\*\s*=\s*UTF-8''([^;]+)/i)?.[1];
  const plain = disposition?.match(/filename\s*=\s*"?([^";]+)"?/i)?.[1];
  const fromUrl = url.pathname.split('/').pop() ?? '';
  const name = star !== undefined ? safeDecode(star) : (plain ?? (fromUrl.includes('.') ? safeDecode(fromUrl) : null));
  return name === null || name.trim() === '' ? null : name.trim();
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
