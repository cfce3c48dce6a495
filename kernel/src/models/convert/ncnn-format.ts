/**
 * Reading ncnn's two model files: the `.param` text (layers, the blobs between them, and each
 * layer's numbered parameters) and the `.bin` weights, which layers consume in order. A weight
 * array loaded "with a flag" starts with a 4-byte tag saying how it is stored (float32, float16,
 * int8, or a 256-entry lookup table); other arrays (biases, PReLU slopes) are plain float32.
 */

/** One layer of a `.param` file. */
export interface NcnnLayer {
  type: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Parameter id → value; an array parameter (written as id −23300−k) is stored under k as an array. */
  params: Map<number, number | number[]>;
}

const MAGIC = 7767517;
// Array parameters are written with the id −23300 − k.
const ARRAY_ID_BASE = -23300;

function parseValue(text: string, where: string): number {
  const v = Number(text);
  if (text === "" || !Number.isFinite(v)) throw new Error(`${where}: "${text}" is not a number`);
  return v;
}

/** Parses the text `.param` format (the binary `.param.bin` form is not supported). */
export function parseNcnnParam(text: string): NcnnLayer[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (Number(lines[0]) !== MAGIC) throw new Error(`not an ncnn .param file (first line "${lines[0] ?? ""}", expected ${MAGIC})`);
  const counts = (lines[1] ?? "").split(/\s+/).map(Number);
  const layerCount = counts[0] ?? Number.NaN;
  if (!Number.isInteger(layerCount) || lines.length - 2 !== layerCount) {
    throw new Error(`the .param file declares ${counts[0]} layers but lists ${lines.length - 2}`);
  }
  return lines.slice(2).map((line, i) => {
    const tokens = line.split(/\s+/);
    const [type, name, nIn, nOut] = tokens;
    const where = `layer ${i + 1} (${name ?? "?"})`;
    const inputs = Number(nIn);
    const outputs = Number(nOut);
    if (!type || !name || !Number.isInteger(inputs) || !Number.isInteger(outputs) || tokens.length < 4 + inputs + outputs) {
      throw new Error(`${where}: malformed line "${line}"`);
    }
    const params = new Map<number, number | number[]>();
    for (const pair of tokens.slice(4 + inputs + outputs)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`${where}: malformed parameter "${pair}"`);
      const id = parseValue(pair.slice(0, eq), where);
      const value = pair.slice(eq + 1);
      if (id <= ARRAY_ID_BASE) {
        const [count, ...items] = value.split(",").map((v) => parseValue(v, where));
        if (count !== items.length) throw new Error(`${where}: array parameter ${id} says ${count} items but has ${items.length}`);
        params.set(ARRAY_ID_BASE - id, items);
      } else params.set(id, parseValue(value, where));
    }
    return {
      type,
      name,
      inputs: tokens.slice(4, 4 + inputs),
      outputs: tokens.slice(4 + inputs, 4 + inputs + outputs),
      params,
    };
  });
}

/** Reads a layer's parameter as a number (integer or float), with ncnn's default when it is absent. */
export function numParam(layer: NcnnLayer, id: number, fallback: number): number {
  const v = layer.params.get(id);
  if (v === undefined) return fallback;
  if (Array.isArray(v)) throw new Error(`layer ${layer.name}: parameter ${id} is an array, expected a number`);
  return v;
}

export function arrayParam(layer: NcnnLayer, id: number): number[] {
  const v = layer.params.get(id);
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

// Storage tags of flagged weight arrays (the first 4 bytes, read as a little-endian uint32).
const TAG_FLOAT16 = 0x01306b47;
const TAG_INT8 = 0x000d4b38;
const TAG_FLOAT32_SCALED = 0x0002c056;

const align4 = (n: number) => (n + 3) & ~3;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Reads the `.bin` weights in the order layers consume them. */
export class NcnnWeights {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.byteLength) {
      throw new Error(`the .bin file ends at byte ${this.bytes.byteLength} while reading ${what} (${n} bytes at ${this.offset})`);
    }
  }

  private floats(count: number, what: string): Float32Array {
    this.need(count * 4, what);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getFloat32(this.offset + i * 4, true);
    this.offset += count * 4;
    return out;
  }

  /** `count` plain float32 values (biases, slopes). */
  raw(count: number, what: string): Float32Array {
    return this.floats(count, what);
  }

  /** `count` values preceded by a storage tag, as convolution weights are stored. */
  flagged(count: number, what: string): Float32Array {
    this.need(4, `${what} (storage tag)`);
    const tag = this.view.getUint32(this.offset, true);
    const flagBytes = this.bytes.subarray(this.offset, this.offset + 4);
    this.offset += 4;
    if (tag === TAG_FLOAT16) {
      const size = align4(count * 2);
      this.need(size, what);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(this.view.getUint16(this.offset + i * 2, true));
      this.offset += size;
      return out;
    }
    if (tag === TAG_INT8) throw new Error(`${what} is stored as int8 (a quantised model): not supported`);
    if (tag === TAG_FLOAT32_SCALED) return this.floats(count, what);
    if (flagBytes.some((b) => b !== 0)) {
      // Any other non-zero tag: a 256-entry float table, then one byte index per value.
      const table = this.floats(256, `${what} (lookup table)`);
      const size = align4(count);
      this.need(size, what);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[this.bytes[this.offset + i] as number] as number;
      this.offset += size;
      return out;
    }
    return this.floats(count, what);
  }
}
