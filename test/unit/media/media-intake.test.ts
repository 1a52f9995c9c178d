import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MediaIntake } from '../../../src/media/media-intake';
import type { DownloadedMedia } from '../../../src/whatsapp/wa-client';
import { FakeClock, flush } from '../../support/fake-clock';
import { incomingMessage } from '../../support/incoming-message';
import { sample, sha256 } from '../../support/media-samples';
import { RecordingLogger } from '../../support/recording-logger';
import { createTestStores, type TestStores } from '../../support/test-messaging';

const opened: TestStores[] = [];
after(() => opened.forEach((s) => s.dispose()));

function setup(maxBytes = 10_000) {
  const clock = new FakeClock();
  const stores = createTestStores(clock);
  opened.push(stores);
  const logger = new RecordingLogger();
  return { clock, stores, logger, intake: new MediaIntake({ store: stores.media, maxBytes, clock, logger }) };
}

const withMedia = (
  type: string,
  download: () => Promise<DownloadedMedia | null>,
  hint: { mimetype: string | null; size: number | null } = { mimetype: null, size: null },
) => incomingMessage('a caption', { type, hasMedia: true, mediaHint: { ...hint, filename: null }, downloadMedia: download });

describe('MediaIntake', () => {
  it('a text has no media: nothing is downloaded', async () => {
    assert.equal(await setup().intake.receive(incomingMessage('hi')), null);
  });

  it('keeps the downloaded bytes and names them by id, with the kind from the message type', async () => {
    const h = setup();
    const png = sample.png();
    const field = await h.intake.receive(withMedia('image', async () => ({ bytes: png, mimetype: 'image/png', filename: null })));
    assert.ok(field && 'id' in field);
    assert.match(field.id, /^med_[0-9a-f-]{36}$/);
    assert.deepEqual(field, {
      id: field.id,
      mimetype: 'image/png',
      filename: null,
      size: png.length,
      sha256: sha256(png),
      kind: 'image',
      url: `/api/media/${field.id}`,
    });
    assert.deepEqual(await h.stores.media.getFile(sha256(png)), png);
    assert.equal((await h.stores.media.getReceived(field.id))?.messageId.startsWith('false_'), true);
    const voice = await h.intake.receive(
      withMedia('ptt', async () => ({ bytes: sample.opus(), mimetype: 'audio/ogg; codecs=opus', filename: null })),
    );
    assert.deepEqual(voice && 'kind' in voice ? [voice.kind, voice.mimetype] : null, ['voice', 'audio/ogg']);
  });

  it('WhatsApp no longer has it, the download throws, or it takes over the minute: unavailable, the event still goes', async () => {
    const h = setup();
    assert.deepEqual(await h.intake.receive(withMedia('document', async () => null, { mimetype: 'application/pdf', size: 1234 })), {
      status: 'unavailable',
      mimetype: 'application/pdf',
      size: 1234,
    });
    assert.deepEqual(
      await h.intake.receive(
        withMedia('image', async () => {
          throw new Error('Evaluation failed: detached Frame');
        }),
      ),
      { status: 'unavailable', mimetype: null, size: null },
    );
    const slow = h.intake.receive(withMedia('video', () => new Promise<never>(() => undefined), { mimetype: 'video/mp4', size: 99 }));
    await flush();
    await h.clock.advance(60_000);
    assert.deepEqual(await slow, { status: 'unavailable', mimetype: 'video/mp4', size: 99 });
    assert.match(JSON.stringify(h.logger.at('warn')), /no answer within 60000 ms/);
    assert.deepEqual(h.intake.stats, { kept: 0, missed: 3 });
  });

  it("over MEDIA_MAX_BYTES: too_large, decided from WhatsApp's size before downloading when it gives one", async () => {
    const h = setup(1_000);
    let downloads = 0;
    const big = await h.intake.receive(
      withMedia(
        'document',
        async () => {
          downloads++;
          return null;
        },
        { mimetype: 'application/zip', size: 5_000 },
      ),
    );
    assert.deepEqual([big, downloads], [{ status: 'too_large', mimetype: 'application/zip', size: 5_000 }, 0]);
    const unannounced = await h.intake.receive(
      withMedia('document', async () => ({ bytes: Buffer.alloc(2_000), mimetype: 'application/zip', filename: 'a.zip' })),
    );
    assert.deepEqual(unannounced, { status: 'too_large', mimetype: 'application/zip', size: 2_000 });
    assert.equal((await h.stores.media.counts()).files, 0, 'nothing kept');
  });
});
