import { createHash, randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';

/**
 * Small files of each kind, real enough that file-type (and a browser, for the PNG) reads them
 * for what they are. `salt` makes each one distinct, so a test never meets another's bytes.
 */
export const sample = {
  /** A real, decodable PNG: `size` x `size` pixels of noise. */
  png(size = 8, salt = randomBytes(4)): Buffer {
    const png = new PNG({ width: size, height: size });
    const noise = createHash('sha512').update(salt).digest();
    for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (noise[i % noise.length] ?? 0);
    return PNG.sync.write(png);
  },
  pdf(salt = randomBytes(4).toString('hex')): Buffer {
    return Buffer.from(
      `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${salt}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    );
  },
  /** An Ogg stream with an Opus head: what phones record voice notes as. */
  opus(salt = randomBytes(16)): Buffer {
    return Buffer.concat([
      Buffer.from('OggS'),
      Buffer.from([0, 2]),
      Buffer.alloc(22),
      Buffer.from('OpusHead'),
      Buffer.from([1, 1, 0x38, 1]),
      salt,
      Buffer.alloc(64),
    ]);
  },
  /** Three MPEG-1 layer III frames. */
  mp3(salt = randomBytes(16)): Buffer {
    const frame = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413)]);
    return Buffer.concat([frame, frame, frame, salt]);
  },
  /** An MP4 (ISO base media) with its ftyp box. */
  mp4(salt = randomBytes(16)): Buffer {
    return Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('ftypisom'),
      Buffer.from([0, 0, 2, 0]),
      Buffer.from('isomiso2'),
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('mdat'),
      salt,
    ]);
  },
  /** A Windows executable header: WhatsApp takes it, the daemon does not. */
  exe(): Buffer {
    return Buffer.concat([Buffer.from('MZ'), Buffer.alloc(126)]);
  },
};

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
