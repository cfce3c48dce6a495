/**
 * ncnn → ONNX: turns an ncnn model (`.param` + `.bin`) into an equivalent ONNX graph, so models
 * published only for ncnn (waifu2x, Real-ESRGAN, Real-CUGAN ports…) run on onnxruntime like the
 * rest. ncnn blobs have no batch axis (C×H×W); the ONNX graph adds a symbolic one ("batch") to
 * every input and output, so the kernel can micro-batch tiles, and gives the input symbolic height
 * and width, since the sizes in an ncnn Input layer are only hints. Every node written here works
 * per sample (constants never name dimension 0 except as "keep it"). Layers with no
 * ONNX meaning here (int8 weights, dynamic sizes, two-input Crop…) are refused by name, never guessed.
 */
import { arrayParam, type NcnnLayer, NcnnWeights, numParam, parseNcnnParam } from "./ncnn-format.js";
import { attr, encodeOnnxModel, type OnnxGraph, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from "./onnx-writer.js";

export const NCNN_LAYER_TYPES = [
  "Input",
  "Convolution",
  "ConvolutionDepthWise",
  "Deconvolution",
  "ReLU",
  "PReLU",
  "Sigmoid",
  "TanH",
  "Clip",
  "Split",
  "Eltwise",
  "BinaryOp",
  "Interp",
  "PixelShuffle",
  "Padding",
  "Crop",
] as const;

/** The opset the nodes are written for (Resize, Pad, Clip with tensor inputs: 13). */
export const NCNN_ONNX_OPSET = 13;

const INT64_MAX = 9223372036854775807n;

/** The symbolic dimension 0 shared by every input and output: requests stacked along it run as one. */
export const BATCH = "batch";

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  /** Split outputs are the same tensor as the Split's input. */
  private readonly alias = new Map<string, string>();
  private readonly produced: string[] = [];

  blob(name: string): string {
    return this.alias.get(name) ?? name;
  }

  use(names: string[]): string[] {
    return names.map((n) => this.blob(n));
  }

  aliasOf(name: string, target: string): void {
    this.alias.set(name, this.blob(target));
  }

  node(node: OnnxNode): void {
    this.nodes.push(node);
    this.produced.push(...node.outputs);
  }

  input(name: string, shape: (number | string)[]): void {
    this.inputs.push({ name, shape });
    this.produced.push(name);
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, type: "float32", data });
    return name;
  }

  ints(name: string, values: (number | bigint)[]): string {
    this.initializers.push({ name, dims: [values.length], type: "int64", data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }

  scalar(name: string, value: number): string {
    this.initializers.push({ name, dims: [], type: "float32", data: Float32Array.of(value) });
    return name;
  }

  /** Blobs produced and never consumed: the graph's outputs, in the order they were made. */
  outputs(): string[] {
    const consumed = new Set(this.nodes.flatMap((n) => n.inputs));
    return this.produced.filter((b) => !consumed.has(b) && !this.inputs.some((i) => i.name === b));
  }
}

function fail(layer: NcnnLayer, why: string): never {
  throw new Error(`ncnn layer ${layer.name} (${layer.type}): ${why}`);
}

function one<T>(items: T[], layer: NcnnLayer, what: string): T {
  if (items.length !== 1) fail(layer, `expects 1 ${what}, has ${items.length}`);
  return items[0] as T;
}

/** Adds the activation fused into a convolution (param 9, its arguments in param 10) after `x`. */
function activation(g: GraphBuilder, layer: NcnnLayer, x: string, out: string): void {
  const type = numParam(layer, 9, 0);
  const args = arrayParam(layer, 10);
  const name = `${layer.name}.activation`;
  if (type === 0) g.node({ opType: "Identity", name, inputs: [x], outputs: [out] });
  else if (type === 1 || (type === 2 && !args[0])) g.node({ opType: "Relu", name, inputs: [x], outputs: [out] });
  else if (type === 2) g.node({ opType: "LeakyRelu", name, inputs: [x], outputs: [out], attributes: { alpha: attr.float(args[0] as number) } });
  else if (type === 3) {
    const lo = g.scalar(`${layer.name}.min`, args[0] ?? Number.NEGATIVE_INFINITY);
    const hi = g.scalar(`${layer.name}.max`, args[1] ?? Number.POSITIVE_INFINITY);
    g.node({ opType: "Clip", name, inputs: [x, lo, hi], outputs: [out] });
  } else if (type === 4) g.node({ opType: "Sigmoid", name, inputs: [x], outputs: [out] });
  else fail(layer, `activation type ${type} is not supported (only none, ReLU, leaky ReLU, clip, sigmoid)`);
}

/** ncnn writes [top, left, bottom, right] padding under ids 14, 4, 16, 15 (each defaulting to a neighbour). */
function padding(layer: NcnnLayer): number[] {
  const left = numParam(layer, 4, 0);
  const top = numParam(layer, 14, left);
  const right = numParam(layer, 15, left);
  const bottom = numParam(layer, 16, top);
  return [top, left, bottom, right];
}

function convolution(g: GraphBuilder, layer: NcnnLayer, w: NcnnWeights, depthwise: boolean): void {
  const x = one(g.use(layer.inputs), layer, "input");
  const out = one(layer.outputs, layer, "output");
  const outCh = numParam(layer, 0, 0);
  const kw = numParam(layer, 1, 0);
  const kh = numParam(layer, 11, kw);
  const dw = numParam(layer, 2, 1);
  const sw = numParam(layer, 3, 1);
  const group = depthwise ? numParam(layer, 7, 1) : 1;
  const size = numParam(layer, 6, 0);
  if (numParam(layer, 8, 0) !== 0) fail(layer, "int8 quantised convolutions are not supported");
  if (!outCh || !kw || !size || size % (outCh * kw * kh) !== 0) fail(layer, `inconsistent sizes (num_output ${outCh}, kernel ${kw}×${kh}, weights ${size})`);
  const pads = padding(layer);
  const attributes: OnnxNode["attributes"] = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([numParam(layer, 13, sw), sw]),
    dilations: attr.ints([numParam(layer, 12, dw), dw]),
    group: attr.int(group),
  };
  // −233 / −234 are ncnn's "same" padding, extra pixel after or before.
  if (pads[1] === -233) attributes.auto_pad = attr.string("SAME_UPPER");
  else if (pads[1] === -234) attributes.auto_pad = attr.string("SAME_LOWER");
  else if (pads.some((p) => p < 0)) fail(layer, `padding ${pads.join(",")} is not supported`);
  else attributes.pads = attr.ints(pads);
  if (numParam(layer, 18, 0) !== 0 && pads.some((p) => p > 0)) fail(layer, "padding with a non-zero value is not supported");
  // Both ncnn and ONNX store convolution weights as [out][in / group][kh][kw].
  const weight = g.floats(`${layer.name}.weight`, [outCh, size / (outCh * kw * kh), kh, kw], w.flagged(size, `${layer.name} weights`));
  const inputs = [x, weight];
  if (numParam(layer, 5, 0)) inputs.push(g.floats(`${layer.name}.bias`, [outCh], w.raw(outCh, `${layer.name} bias`)));
  const fused = numParam(layer, 9, 0) !== 0;
  const conv = fused ? `${layer.name}.conv` : out;
  g.node({ opType: "Conv", name: layer.name, inputs, outputs: [conv], attributes });
  if (fused) activation(g, layer, conv, out);
}

function deconvolution(g: GraphBuilder, layer: NcnnLayer, w: NcnnWeights): void {
  const x = one(g.use(layer.inputs), layer, "input");
  const out = one(layer.outputs, layer, "output");
  const outCh = numParam(layer, 0, 0);
  const kw = numParam(layer, 1, 0);
  const kh = numParam(layer, 11, kw);
  const dw = numParam(layer, 2, 1);
  const sw = numParam(layer, 3, 1);
  const size = numParam(layer, 6, 0);
  const maxk = kw * kh;
  if (!outCh || !kw || !size || size % (outCh * maxk) !== 0) fail(layer, `inconsistent sizes (num_output ${outCh}, kernel ${kw}×${kh}, weights ${size})`);
  if (numParam(layer, 20, 0) || numParam(layer, 21, 0)) fail(layer, "a fixed output size is not supported");
  const pads = padding(layer);
  if (pads.some((p) => p < 0)) fail(layer, `padding ${pads.join(",")} is not supported`);
  const outPadW = numParam(layer, 18, 0);
  const outPadH = numParam(layer, 19, outPadW);
  const inCh = size / (outCh * maxk);
  // ncnn keeps deconvolution weights as [out][in][kh][kw]; ONNX ConvTranspose wants [in][out][kh][kw].
  const src = w.flagged(size, `${layer.name} weights`);
  const data = new Float32Array(size);
  for (let o = 0; o < outCh; o++)
    for (let i = 0; i < inCh; i++) data.set(src.subarray((o * inCh + i) * maxk, (o * inCh + i + 1) * maxk), (i * outCh + o) * maxk);
  const inputs = [x, g.floats(`${layer.name}.weight`, [inCh, outCh, kh, kw], data)];
  if (numParam(layer, 5, 0)) inputs.push(g.floats(`${layer.name}.bias`, [outCh], w.raw(outCh, `${layer.name} bias`)));
  const attributes: OnnxNode["attributes"] = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([numParam(layer, 13, sw), sw]),
    dilations: attr.ints([numParam(layer, 12, dw), dw]),
    pads: attr.ints(pads),
  };
  if (outPadW || outPadH) attributes.output_padding = attr.ints([outPadH, outPadW]);
  const fused = numParam(layer, 9, 0) !== 0;
  const conv = fused ? `${layer.name}.deconv` : out;
  g.node({ opType: "ConvTranspose", name: layer.name, inputs, outputs: [conv], attributes });
  if (fused) activation(g, layer, conv, out);
}

const BINARY_OPS = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Sub", "Div"] as const;

function binaryOp(g: GraphBuilder, layer: NcnnLayer): void {
  const op = numParam(layer, 0, 0);
  const opType = BINARY_OPS[op];
  if (!opType) fail(layer, `operation ${op} is not supported`);
  const ins = g.use(layer.inputs);
  const b = numParam(layer, 1, 0) ? g.scalar(`${layer.name}.b`, numParam(layer, 2, 0)) : ins[1];
  if (!b || ins.length !== (numParam(layer, 1, 0) ? 1 : 2)) fail(layer, "expects two inputs, or one and a scalar");
  const a = ins[0] as string;
  // 7 and 8 are the reversed forms: b − a and b / a.
  const inputs = op >= 7 ? [b, a] : [a, b];
  g.node({ opType, name: layer.name, inputs, outputs: [one(layer.outputs, layer, "output")] });
}

function eltwise(g: GraphBuilder, layer: NcnnLayer): void {
  const op = numParam(layer, 0, 1);
  const coeffs = arrayParam(layer, 1);
  let ins = g.use(layer.inputs);
  const out = one(layer.outputs, layer, "output");
  if (op === 1 && coeffs.some((c) => c !== 1)) {
    ins = ins.map((x, i) => {
      const scaled = `${layer.name}.scaled${i}`;
      g.node({ opType: "Mul", name: scaled, inputs: [x, g.scalar(`${layer.name}.coeff${i}`, coeffs[i] ?? 1)], outputs: [scaled] });
      return scaled;
    });
  }
  if (op === 1) g.node({ opType: "Sum", name: layer.name, inputs: ins, outputs: [out] });
  else if (op === 2) g.node({ opType: "Max", name: layer.name, inputs: ins, outputs: [out] });
  else if (op === 0) {
    let acc = ins[0] as string;
    for (let i = 1; i < ins.length; i++) {
      const next = i === ins.length - 1 ? out : `${layer.name}.prod${i}`;
      g.node({ opType: "Mul", name: i === ins.length - 1 ? layer.name : next, inputs: [acc, ins[i] as string], outputs: [next] });
      acc = next;
    }
    if (ins.length === 1) g.node({ opType: "Identity", name: layer.name, inputs: [acc], outputs: [out] });
  } else fail(layer, `operation ${op} is not supported`);
}

function interp(g: GraphBuilder, layer: NcnnLayer): void {
  const x = one(g.use(layer.inputs), layer, "input");
  const out = one(layer.outputs, layer, "output");
  const type = numParam(layer, 0, 0);
  if (numParam(layer, 5, 0)) fail(layer, "a size taken from a second blob is not supported");
  const alignCorners = numParam(layer, 6, 0) !== 0;
  const attributes: OnnxNode["attributes"] =
    type === 1
      ? // ncnn's nearest picks floor(x / scale): ONNX's asymmetric + floor.
        { mode: attr.string("nearest"), coordinate_transformation_mode: attr.string("asymmetric"), nearest_mode: attr.string("floor") }
      : type === 2 || type === 3
        ? {
            mode: attr.string(type === 2 ? "linear" : "cubic"),
            coordinate_transformation_mode: attr.string(alignCorners ? "align_corners" : "half_pixel"),
            ...(type === 3 ? { cubic_coeff_a: attr.float(-0.75) } : {}),
          }
        : fail(layer, `resize type ${type} is not supported`);
  const outH = numParam(layer, 3, 0);
  const outW = numParam(layer, 4, 0);
  if (outH > 0 && outW > 0) {
    // Fixed output size: N and C from the input, H and W from the layer.
    const shape = `${layer.name}.shape`;
    const nc = `${layer.name}.nc`;
    const sizes = `${layer.name}.sizes`;
    g.node({ opType: "Shape", name: shape, inputs: [x], outputs: [shape] });
    g.node({ opType: "Slice", name: nc, inputs: [shape, g.ints(`${layer.name}.zero`, [0]), g.ints(`${layer.name}.two`, [2])], outputs: [nc] });
    g.node({ opType: "Concat", name: sizes, inputs: [nc, g.ints(`${layer.name}.hw`, [outH, outW])], outputs: [sizes], attributes: { axis: attr.int(0) } });
    g.node({ opType: "Resize", name: layer.name, inputs: [x, "", "", sizes], outputs: [out], attributes });
    return;
  }
  const scales = g.floats(`${layer.name}.scales`, [4], Float32Array.of(1, 1, numParam(layer, 1, 1), numParam(layer, 2, 1)));
  g.node({ opType: "Resize", name: layer.name, inputs: [x, "", scales], outputs: [out], attributes });
}

function pad(g: GraphBuilder, layer: NcnnLayer): void {
  const x = one(g.use(layer.inputs), layer, "input");
  if (numParam(layer, 6, 0)) fail(layer, "per-channel padding values are not supported");
  const mode = ["constant", "edge", "reflect"][numParam(layer, 4, 0)];
  if (!mode) fail(layer, `padding type ${numParam(layer, 4, 0)} is not supported`);
  const [top, bottom, left, right, front, behind] = [0, 1, 2, 3, 7, 8].map((id) => numParam(layer, id, 0)) as number[];
  const pads = g.ints(`${layer.name}.pads`, [0, front as number, top as number, left as number, 0, behind as number, bottom as number, right as number]);
  const inputs = [x, pads];
  if (mode === "constant") inputs.push(g.scalar(`${layer.name}.value`, numParam(layer, 5, 0)));
  g.node({ opType: "Pad", name: layer.name, inputs, outputs: [one(layer.outputs, layer, "output")], attributes: { mode: attr.string(mode) } });
}

/** Crop of one blob by offsets (C, H, W), with an output size or a margin kept off the far end. */
function crop(g: GraphBuilder, layer: NcnnLayer): void {
  if (layer.inputs.length !== 1) fail(layer, "cropping to the size of a second blob is not supported");
  if (layer.params.has(9) || layer.params.has(10)) fail(layer, "starts/ends crops are not supported");
  const x = one(g.use(layer.inputs), layer, "input");
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  // ncnn ids per axis (C, H, W): offset, output size, far-end margin.
  for (const [offset, size, margin] of [
    [2, 5, 8],
    [1, 4, 7],
    [0, 3, 6],
  ] as const) {
    const start = numParam(layer, offset, 0);
    const length = numParam(layer, size, 0);
    const far = numParam(layer, margin, 0);
    starts.push(BigInt(start));
    ends.push(length > 0 ? BigInt(start + length) : far > 0 ? BigInt(-far) : INT64_MAX);
  }
  const inputs = [x, g.ints(`${layer.name}.starts`, starts), g.ints(`${layer.name}.ends`, ends), g.ints(`${layer.name}.axes`, [1, 2, 3])];
  g.node({ opType: "Slice", name: layer.name, inputs, outputs: [one(layer.outputs, layer, "output")] });
}

function simple(g: GraphBuilder, layer: NcnnLayer, opType: string, attributes?: OnnxNode["attributes"]): void {
  g.node({ opType, name: layer.name, inputs: [one(g.use(layer.inputs), layer, "input")], outputs: [one(layer.outputs, layer, "output")], attributes });
}

function addLayer(g: GraphBuilder, layer: NcnnLayer, w: NcnnWeights, inputCount: number): void {
  switch (layer.type) {
    case "Input": {
      const c = numParam(layer, 2, 0);
      const suffix = inputCount > 1 ? `_${layer.name}` : "";
      g.input(one(layer.outputs, layer, "output"), [BATCH, c > 0 ? c : `channels${suffix}`, `height${suffix}`, `width${suffix}`]);
      return;
    }
    case "Convolution":
      convolution(g, layer, w, false);
      return;
    case "ConvolutionDepthWise":
      convolution(g, layer, w, true);
      return;
    case "Deconvolution":
      deconvolution(g, layer, w);
      return;
    case "ReLU": {
      const slope = numParam(layer, 0, 0);
      if (slope) simple(g, layer, "LeakyRelu", { alpha: attr.float(slope) });
      else simple(g, layer, "Relu");
      return;
    }
    case "PReLU": {
      const n = numParam(layer, 0, 1);
      const x = one(g.use(layer.inputs), layer, "input");
      const slope = g.floats(`${layer.name}.slope`, n > 1 ? [n, 1, 1] : [1], w.raw(n, `${layer.name} slopes`));
      g.node({ opType: "PRelu", name: layer.name, inputs: [x, slope], outputs: [one(layer.outputs, layer, "output")] });
      return;
    }
    case "Sigmoid":
      simple(g, layer, "Sigmoid");
      return;
    case "TanH":
      simple(g, layer, "Tanh");
      return;
    case "Clip": {
      const x = one(g.use(layer.inputs), layer, "input");
      const lo = g.scalar(`${layer.name}.min`, numParam(layer, 0, Number.NEGATIVE_INFINITY));
      const hi = g.scalar(`${layer.name}.max`, numParam(layer, 1, Number.POSITIVE_INFINITY));
      g.node({ opType: "Clip", name: layer.name, inputs: [x, lo, hi], outputs: [one(layer.outputs, layer, "output")] });
      return;
    }
    case "Split": {
      const x = one(layer.inputs, layer, "input");
      for (const o of layer.outputs) g.aliasOf(o, x);
      return;
    }
    case "Eltwise":
      eltwise(g, layer);
      return;
    case "BinaryOp":
      binaryOp(g, layer);
      return;
    case "Interp":
      interp(g, layer);
      return;
    case "PixelShuffle":
      // Mode 0 is PyTorch's pixel_shuffle, which ONNX calls DepthToSpace CRD.
      simple(g, layer, "DepthToSpace", {
        blocksize: attr.int(numParam(layer, 0, 1)),
        mode: attr.string(numParam(layer, 1, 0) === 0 ? "CRD" : "DCR"),
      });
      return;
    case "Padding":
      pad(g, layer);
      return;
    case "Crop":
      crop(g, layer);
      return;
    default:
      fail(layer, `layer type not supported by the converter (supported: ${NCNN_LAYER_TYPES.join(", ")})`);
  }
}

/** The ONNX graph equivalent to an ncnn model. */
export function ncnnToOnnxGraph(paramText: string, bin: Uint8Array, name = "ncnn"): OnnxGraph {
  const layers = parseNcnnParam(paramText);
  const weights = new NcnnWeights(bin);
  const g = new GraphBuilder();
  const inputCount = layers.filter((l) => l.type === "Input").length;
  for (const layer of layers) addLayer(g, layer, weights, inputCount);
  if (weights.remaining !== 0) throw new Error(`the .bin file has ${weights.remaining} bytes no layer reads: it does not belong to this .param`);
  if (g.inputs.length === 0) throw new Error("the model has no Input layer");
  const outputs = g.outputs();
  if (outputs.length === 0) throw new Error("the model has no output blob");
  // Every supported layer keeps blobs 4-D (N, C, H, W), so outputs are too; only N is tied to the input.
  const suffix = (o: string) => (outputs.length > 1 ? `_${o}` : "");
  return {
    name,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: g.inputs,
    outputs: outputs.map((o) => ({ name: o, shape: [BATCH, `out_channels${suffix(o)}`, `out_height${suffix(o)}`, `out_width${suffix(o)}`] })),
  };
}

/** Converts an ncnn model to ONNX bytes; the same files always give the same bytes. */
export function convertNcnnToOnnx(paramText: string, bin: Uint8Array, options: { name?: string } = {}): Uint8Array {
  return encodeOnnxModel(ncnnToOnnxGraph(paramText, bin, options.name), {
    opset: NCNN_ONNX_OPSET,
    producerName: "crealia ncnn-to-onnx",
    producerVersion: "1",
  });
}
