// Image files for the branding tests, written byte by byte here (no image
// library on the test side): PNG (zlib from Node), ICO holding a BMP or a
// PNG, and SVG text. Also pngSize(), which reads a PNG's IHDR, to check
// what the server sends back.

import zlib from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/* A w×h RGBA PNG; rgba is [r, g, b, a] for every pixel. extra: chunks
 * [type, Buffer] put before IEND (a tEXt, say). */
export function png(w, h, { rgba = [30, 120, 220, 255], extra = [] } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < w; x++) raw.set(rgba, row + 1 + x * 4);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    ...extra.map(([t, d]) => chunk(t, d)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/* {width, height} from a PNG's IHDR, or null when buf is not a PNG. */
export function pngSize(buf) {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (buf.subarray(12, 16).toString('ascii') !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/* The chunk types of a PNG, in order. */
export function pngChunks(buf) {
  const types = [];
  for (let o = 8; o + 8 <= buf.length;) {
    const len = buf.readUInt32BE(o);
    types.push(buf.subarray(o + 4, o + 8).toString('ascii'));
    o += 12 + len;
  }
  return types;
}

function icoHeader(count, entries) {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2); // icon
  head.writeUInt16LE(count, 4);
  return Buffer.concat([head, ...entries]);
}

function icoEntry(w, h, size, offset) {
  const e = Buffer.alloc(16);
  e[0] = w >= 256 ? 0 : w;
  e[1] = h >= 256 ? 0 : h;
  e.writeUInt16LE(1, 4); // planes
  e.writeUInt16LE(32, 6); // bits per pixel
  e.writeUInt32LE(size, 8);
  e.writeUInt32LE(offset, 12);
  return e;
}

/* A 32-bit BMP (DIB) icon image: header, BGRA rows bottom-up, AND mask. */
function dib(w, h, bgra) {
  const head = Buffer.alloc(40);
  head.writeUInt32LE(40, 0);
  head.writeInt32LE(w, 4);
  head.writeInt32LE(h * 2, 8); // the AND mask counts too
  head.writeUInt16LE(1, 12);
  head.writeUInt16LE(32, 14);
  const xor = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) xor.set(bgra, i * 4);
  const andRow = Math.ceil(w / 32) * 4;
  head.writeUInt32LE(xor.length + andRow * h, 20);
  return Buffer.concat([head, xor, Buffer.alloc(andRow * h)]);
}

/* An ICO of BMP images, one per [w, h] in sizes (the usual favicon.ico). */
export function bmpIco(sizes = [[32, 32]], bgra = [40, 160, 20, 255]) {
  const images = sizes.map(([w, h]) => dib(w, h, bgra));
  let offset = 6 + 16 * sizes.length;
  const entries = sizes.map(([w, h], i) => {
    const e = icoEntry(w, h, images[i].length, offset);
    offset += images[i].length;
    return e;
  });
  return Buffer.concat([icoHeader(sizes.length, entries), ...images]);
}

/* An ICO holding one PNG image. */
export function pngIco(w, h) {
  const p = png(w, h);
  return Buffer.concat([icoHeader(1, [icoEntry(w, h, p.length, 22)]), p]);
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

/* A small SVG logo, with what editors add (Inkscape attributes, RDF
 * metadata, a comment) that the server leaves out. */
export function svgLogo(label = 'Acme') {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Created with an editor -->
<svg xmlns="${SVG_NS}" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     width="240" height="64" viewBox="0 0 240 64" inkscape:version="1.2">
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <title>${label}</title>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#0b57d0"/><stop offset="1" stop-color="#34a853"/></linearGradient></defs>
  <rect width="64" height="64" rx="12" fill="url(#g)"/>
  <text x="80" y="44" font-family="sans-serif" font-size="32">${label}</text>
</svg>
`;
}

/* A valid SVG with one dangerous addition inside. */
export function svgWith(inside, rootAttrs = '') {
  return `<svg xmlns="${SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"${rootAttrs}>` +
    `<rect width="10" height="10"/>${inside}</svg>`;
}
