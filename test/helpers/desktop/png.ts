import { crc32, deflateSync, inflateSync } from 'node:zlib';

/**
 * Just enough PNG for pixel checks: decode 8-bit RGB/RGBA (non-interlaced, every filter type),
 * encode 8-bit RGB. Written for the tests so comparing pixels needs no image library.
 */

export type Rgb = readonly [number, number, number];

export interface Image {
  width: number;
  height: number;
  /** RGB, 3 bytes a pixel, rows top to bottom. */
  rgb: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pixel(img: Image, x: number, y: number): Rgb {
  const i = (y * img.width + x) * 3;
  return [img.rgb[i] ?? -1, img.rgb[i + 1] ?? -1, img.rgb[i + 2] ?? -1];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(data: Buffer): Image {
  if (!data.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos + 8 <= data.length) {
    const len = data.readUInt32BE(pos);
    const type = data.toString('latin1', pos + 4, pos + 8);
    const body = data.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || interlace !== 0 || (colour !== 2 && colour !== 6))
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      channels = colour === 2 ? 3 : 4;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(width * height * 3);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (line[i - channels] ?? 0) : 0;
      const b = prev[i] ?? 0;
      const c = i >= channels ? (prev[i - channels] ?? 0) : 0;
      const x = line[i] ?? 0;
      const v =
        filter === 0
          ? x
          : filter === 1
            ? x + a
            : filter === 2
              ? x + b
              : filter === 3
                ? x + ((a + b) >> 1)
                : filter === 4
                  ? x + paeth(a, b, c)
                  : Number.NaN;
      if (Number.isNaN(v)) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      line[i] = v & 0xff;
    }
    for (let x = 0; x < width; x++) line.copy(out, (y * width + x) * 3, x * channels, x * channels + 3);
    prev = line;
  }
  return { width, height, rgb: out };
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

export function encodePng(img: Image): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < img.height; y++) {
    rows.push(Buffer.from([0]), img.rgb.subarray(y * img.width * 3, (y + 1) * img.width * 3));
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An image of `width`×`height` whose pixel at (x, y) is `colour(x, y)`. */
export function paint(width: number, height: number, colour: (x: number, y: number) => Rgb): Image {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      rgb.writeUInt8(r, (y * width + x) * 3);
      rgb.writeUInt8(g, (y * width + x) * 3 + 1);
      rgb.writeUInt8(b, (y * width + x) * 3 + 2);
    }
  return { width, height, rgb };
}

/** Pixels where `a` and `b` differ (both must have one size), at most `limit` of them listed. */
export function differences(a: Image, b: Image, limit = 5): { count: number; first: string[] } {
  if (a.width !== b.width || a.height !== b.height)
    return {
      count: Number.POSITIVE_INFINITY,
      first: [`size ${a.width}x${a.height} vs ${b.width}x${b.height}`],
    };
  let count = 0;
  const first: string[] = [];
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      const p = pixel(a, x, y);
      const q = pixel(b, x, y);
      if (p[0] !== q[0] || p[1] !== q[1] || p[2] !== q[2]) {
        count++;
        if (first.length < limit) first.push(`(${x},${y}) ${p.join(',')} vs ${q.join(',')}`);
      }
    }
  return { count, first };
}
