/**
 * A small, dependency-free PNG chart of the benchmark ratios (dkg-stream speed relative to its
 * anchor, log scale, bars drawn from parity = 1×): an RGB raster, a 5×7 bitmap font, and a PNG
 * encoder on node:zlib. Enough for a readable bar chart, nothing more.
 */
import { deflateSync } from 'node:zlib';

// ---- 5×7 font (upper case; lower case is drawn as upper case) ----
const GLYPHS: Record<string, string> = {
  A: '01110 10001 10001 11111 10001 10001 10001',
  B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110',
  D: '11100 10010 10001 10001 10001 10010 11100',
  E: '11111 10000 10000 11110 10000 10000 11111',
  F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111',
  H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110',
  J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001',
  L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001',
  N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110',
  P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101',
  R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110',
  T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110',
  V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010',
  X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 10001 01010 00100 00100 00100',
  Z: '11111 00001 00010 00100 01000 10000 11111',
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  ',': '00000 00000 00000 00000 01100 00100 01000',
  '=': '00000 00000 11111 00000 11111 00000 00000',
  '/': '00000 00001 00010 00100 01000 10000 00000',
  '(': '00010 00100 01000 01000 01000 00100 00010',
  ')': '01000 00100 00010 00010 00010 00100 01000',
  '-': '00000 00000 00000 11111 00000 00000 00000',
  ':': '00000 01100 01100 00000 01100 01100 00000',
  ';': '00000 01100 01100 00000 01100 00100 01000',
  "'": '00100 00100 01000 00000 00000 00000 00000',
  '×': '00000 10001 01010 00100 01010 10001 00000',
  '%': '11000 11001 00010 00100 01000 10011 00011',
  '<': '00010 00100 01000 10000 01000 00100 00010',
  '>': '01000 00100 00010 00001 00010 00100 01000',
  '≥': '01000 00100 00010 00100 01000 00000 11111',
  '+': '00000 00100 00100 11111 00100 00100 00000',
  _: '00000 00000 00000 00000 00000 00000 11111',
  '|': '00100 00100 00100 00100 00100 00100 00100',
  '*': '00000 00100 10101 01110 10101 00100 00000',
  '?': '01110 10001 00001 00010 00100 00000 00100',
};
const FONT = new Map(Object.entries(GLYPHS).map(([c, rows]) => [c, rows.split(' ').map((r) => parseInt(r, 2))]));

export type RGB = readonly [number, number, number];

export class Raster {
  readonly px: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: RGB = [255, 255, 255],
  ) {
    this.px = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.px.set(background, i * 3);
  }
  set(x: number, y: number, c: RGB): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.px.set(c, (Math.floor(y) * this.width + Math.floor(x)) * 3);
  }
  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = Math.round(y); j < Math.round(y + h); j++) for (let i = Math.round(x); i < Math.round(x + w); i++) this.set(i, j, c);
  }
  /** Draws text with the 5×7 font at `scale`; returns the width drawn. */
  text(x: number, y: number, s: string, c: RGB, scale = 2): number {
    let cx = x;
    for (const ch of s) {
      const g = FONT.get(ch) ?? FONT.get(ch.toUpperCase()) ?? FONT.get('?')!;
      for (let row = 0; row < 7; row++) for (let col = 0; col < 5; col++) if ((g[row]! >> (4 - col)) & 1) this.rect(cx + col * scale, y + row * scale, scale, scale, c);
      cx += 6 * scale;
    }
    return cx - x;
  }
  static textWidth(s: string, scale = 2): number {
    return [...s].length * 6 * scale;
  }
  png(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0;
      raw.set(this.px.subarray(y * this.width * 3, (y + 1) * this.width * 3), y * (this.width * 3 + 1) + 1);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method extensions, no interlace
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export interface ChartRow {
  group: string;
  label: string;
  ratio: number;
  target?: number;
}

const INK: RGB = [30, 30, 30];
const GRID: RGB = [215, 215, 215];
const MUTED: RGB = [110, 110, 110];

function fmtRatio(r: number): string {
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 1) return `${r.toFixed(2)}×`;
  if (r >= 0.01) return `${r.toFixed(3)}×`;
  return `${r.toExponential(1)}×`;
}

/**
 * Horizontal bars of dkg-stream's speed relative to its anchor on a log axis: bars start at
 * parity (1×) and extend left when slower. A target (e.g. 1/3×) is drawn as a blue tick.
 */
export function ratioChart(title: string, subtitle: string[], rows: ChartRow[]): Buffer {
  const labelW = Math.max(...rows.map((r) => Raster.textWidth(r.label)), 200) + 30;
  const plotW = 620;
  const rowH = 30;
  const top = 40 + subtitle.length * 18 + 40;
  const groups = [...new Set(rows.map((r) => r.group))];
  const height = top + rows.length * rowH + groups.length * 28 + 60;
  const width = labelW + plotW + 120;
  const img = new Raster(width, height);
  img.text(16, 14, title, INK, 3);
  subtitle.forEach((s, i) => img.text(16, 48 + i * 18, s, MUTED, 2));

  const lo = Math.floor(Math.log10(Math.min(...rows.map((r) => r.ratio), ...rows.map((r) => r.target ?? 1), 0.5)));
  const hi = Math.ceil(Math.log10(Math.max(...rows.map((r) => r.ratio), 2)));
  const x0 = labelW;
  const xOf = (r: number) => x0 + ((Math.log10(r) - lo) / (hi - lo)) * plotW;
  const bottom = height - 50;
  for (let d = lo; d <= hi; d++) {
    const x = xOf(10 ** d);
    img.rect(x, top - 10, 1, bottom - top + 10, d === 0 ? INK : GRID);
    const lab = d >= 0 ? `${10 ** d}×` : `${(10 ** d).toFixed(-d)}×`;
    img.text(x - Raster.textWidth(lab) / 2, bottom + 8, lab, MUTED);
  }
  img.text(16, bottom + 28, 'speed relative to the anchor (log scale; 1× = as fast as the anchor)', MUTED);

  let y = top;
  for (const g of groups) {
    img.text(16, y + 6, g, INK, 2);
    y += 28;
    for (const r of rows.filter((x) => x.group === g)) {
      img.text(16 + 12, y + 8, r.label, INK);
      const good: RGB = r.target !== undefined ? (r.ratio >= r.target ? [46, 150, 70] : [214, 90, 50]) : r.ratio >= 1 ? [46, 150, 70] : r.ratio >= 1 / 3 ? [230, 160, 40] : [214, 90, 50];
      const a = xOf(1);
      const b = xOf(Math.min(Math.max(r.ratio, 10 ** lo), 10 ** hi));
      img.rect(Math.min(a, b), y + 4, Math.max(2, Math.abs(b - a)), rowH - 10, good);
      if (r.target !== undefined) img.rect(xOf(r.target) - 1, y, 3, rowH - 2, [40, 90, 200]);
      const txt = fmtRatio(r.ratio);
      img.text(r.ratio >= 1 ? b + 6 : Math.max(a, b) + 6, y + 8, txt, INK);
      y += rowH;
    }
  }
  return img.png();
}
