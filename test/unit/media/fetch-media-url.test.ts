import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { refusalFor } from '../../../src/media/address-policy';
import { fetchMediaUrl, type MediaFetchOptions } from '../../../src/media/fetch-media-url';

const OPEN: MediaFetchOptions = { maxBytes: 10_000, allowPrivate: true, timeoutMs: 2_000 };
const SHUT: MediaFetchOptions = { ...OPEN, allowPrivate: false };

async function failure(work: () => Promise<unknown>): Promise<AppError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  assert.fail('it did not fail');
}

describe('fetchMediaUrl', () => {
  let server: http.Server;
  let base: string;
  let port: number;
  const seen: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      const hops = Number(url.searchParams.get('hops') ?? 0);
      if (url.pathname === '/file.pdf') return void res.writeHead(200, { 'content-type': 'application/pdf; charset=binary' }).end('%PDF-1.4 bytes');
      if (url.pathname === '/named')
        return void res.writeHead(200, { 'content-disposition': `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf` }).end('x');
      if (url.pathname === '/redirect') {
        const next = hops > 1 ? `/redirect?hops=${hops - 1}` : '/file.pdf';
        return void res.writeHead(302, { location: next }).end();
      }
      if (url.pathname === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (url.pathname === '/missing') return void res.writeHead(404).end('no');
      if (url.pathname === '/declared-big') return void res.writeHead(200, { 'content-length': '20000' }).end();
      if (url.pathname === '/growing') {
        res.writeHead(200);
        const timer = setInterval(() => res.write(Buffer.alloc(4_000, 65)), 5);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (url.pathname === '/silent') return; // never answers
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('fetches the exact bytes with their type (no parameters) and a name from the URL or Content-Disposition', async () => {
    const got = await fetchMediaUrl(`${base}/file.pdf`, OPEN);
    assert.deepEqual([got.bytes.toString(), got.contentType, got.filename], ['%PDF-1.4 bytes', 'application/pdf', 'file.pdf']);
    assert.equal((await fetchMediaUrl(`${base}/named`, OPEN)).filename, 'résumé.pdf');
  });

  it('refuses loopback, private, link-local, CGNAT, unspecified and mapped addresses without connecting', async () => {
    const before = seen.length;
    for (const host of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '100.64.0.1', '[::1]', '[::ffff:127.0.0.1]', '0.0.0.0', '192.168.1.10']) {
      const error = await failure(() => fetchMediaUrl(`http://${host}:${port}/file.pdf`, SHUT));
      assert.equal(error.code, 'MEDIA_URL_REFUSED', host);
    }
    assert.match((await failure(() => fetchMediaUrl(`${base}/file.pdf`, SHUT))).message, /loopback address .*MEDIA_URL_ALLOW_PRIVATE=true/);
    assert.equal(seen.length, before, 'no request reached the server');
  });

  it('a DNS name is judged by every address it resolves to', async () => {
    const lookup = async (name: string) =>
      name === 'evil.example'
        ? [{ address: '127.0.0.1', family: 4 as const }]
        : [
            { address: '93.184.216.34', family: 4 as const },
            { address: '10.0.0.7', family: 4 as const },
          ];
    assert.match(
      (await failure(() => fetchMediaUrl(`http://evil.example:${port}/file.pdf`, { ...SHUT, lookup }))).message,
      /evil\.example.*resolves to 127\.0\.0\.1 is a loopback/,
    );
    assert.equal((await failure(() => fetchMediaUrl('http://mixed.example/file.pdf', { ...SHUT, lookup }))).code, 'MEDIA_URL_REFUSED');
    // With private ranges open, the name is fetched from the address it was checked at.
    const pinned = await fetchMediaUrl(`http://evil.example:${port}/file.pdf`, { ...OPEN, lookup });
    assert.equal(pinned.bytes.toString(), '%PDF-1.4 bytes');
  });

  it('the address rule: public unicast only; private ranges open on request; metadata never', () => {
    assert.equal(refusalFor('93.184.216.34', false), null);
    assert.equal(refusalFor('2606:4700::1', false), null);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.1.1', '100.64.0.1', 'fc00::1', 'fe80::1', '::1'])
      assert.equal(refusalFor(address, true), null, `${address} opens with MEDIA_URL_ALLOW_PRIVATE`);
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '0.0.0.0', '255.255.255.255', '224.0.0.1'])
      assert.notEqual(refusalFor(address, true), null, `${address} stays shut`);
    assert.match(refusalFor('::ffff:10.0.0.1', false) ?? '', /carries 10\.0\.0\.1/);
    // IPv6 forms that carry an IPv4 address are judged by it: 6to4 and NAT64 of 127.0.0.1.
    for (const address of ['2002:7f00:1::', '64:ff9b::7f00:1']) assert.match(refusalFor(address, false) ?? '', /carries 127\.0\.0\.1/, address);
  });

  it('follows up to 3 redirects, each one checked again; a 4th, or one to a refused address, fails', async () => {
    assert.equal((await fetchMediaUrl(`${base}/redirect?hops=3`, OPEN)).bytes.toString(), '%PDF-1.4 bytes');
    const tooMany = await failure(() => fetchMediaUrl(`${base}/redirect?hops=4`, OPEN));
    assert.deepEqual([tooMany.code, /more than 3 times/.test(tooMany.message)], ['MEDIA_FETCH_FAILED', true]);
    const metadata = await failure(() => fetchMediaUrl(`${base}/to-metadata`, OPEN));
    assert.equal(metadata.code, 'MEDIA_URL_REFUSED');
    assert.match(metadata.message, /metadata/);
  });

  it('only http(s), and no credentials in the URL', async () => {
    for (const url of [
      'ftp://example.com/a.pdf',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'not a url',
      `http://user:pw@127.0.0.1:${port}/file.pdf`,
    ])
      assert.equal((await failure(() => fetchMediaUrl(url, OPEN))).code, 'MEDIA_URL_REFUSED', url);
  });

  it('an HTTP error, a refused connection and a silent server fail naming what happened, never the query string', async () => {
    const missing = await failure(() => fetchMediaUrl(`${base}/missing?token=s3cret`, OPEN));
    assert.equal(missing.code, 'MEDIA_FETCH_FAILED');
    assert.match(missing.message, /HTTP 404 Not Found/);
    assert.doesNotMatch(missing.message, /s3cret/);
    const closed = await failure(() => fetchMediaUrl('http://127.0.0.1:9/file.pdf', OPEN));
    assert.match(closed.message, /ECONNREFUSED/);
    const silent = await failure(() => fetchMediaUrl(`${base}/silent`, { ...OPEN, timeoutMs: 300 }));
    assert.deepEqual([silent.code, /timeout \(300 ms\)/.test(silent.message)], ['MEDIA_FETCH_FAILED', true]);
  });

  it('the size limit: a Content-Length over it is refused unread; a body growing past it is cut off', async () => {
    const declared = await failure(() => fetchMediaUrl(`${base}/declared-big`, OPEN));
    assert.deepEqual([declared.code, /20000 bytes; the limit is 10000/.test(declared.message)], ['MEDIA_TOO_LARGE', true]);
    const started = Date.now();
    const growing = await failure(() => fetchMediaUrl(`${base}/growing`, OPEN));
    assert.equal(growing.code, 'MEDIA_TOO_LARGE');
    assert.ok(Date.now() - started < 1_500, 'cut off at the limit, not at the timeout');
  });
});
