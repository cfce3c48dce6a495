/**
 * Writes an ONNX model (the protobuf `ModelProto`) from a plain description of a graph. Only the
 * messages and fields a converted inference graph needs are declared, by their numbers in the
 * ONNX specification; protobufjs does the wire encoding. The output depends only on the input
 * (no timestamps, fields in a fixed order), so converting the same weights twice gives the same bytes.
 */
import protobuf from "protobufjs";

export type OnnxAttribute =
  | { kind: "int"; value: number }
  | { kind: "ints"; value: number[] }
  | { kind: "float"; value: number }
  | { kind: "floats"; value: number[] }
  | { kind: "string"; value: string };

/** Shorthands for node attributes: `{ alpha: attr.float(0.1) }`. */
export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: "int", value }),
  ints: (value: number[]): OnnxAttribute => ({ kind: "ints", value }),
  float: (value: number): OnnxAttribute => ({ kind: "float", value }),
  floats: (value: number[]): OnnxAttribute => ({ kind: "floats", value }),
  string: (value: string): OnnxAttribute => ({ kind: "string", value }),
};

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, OnnxAttribute>;
}

/** A constant tensor stored in the model (weights, shapes, scalars). */
export type OnnxInitializer = { name: string; dims: number[] } & ({ type: "float32"; data: Float32Array } | { type: "int64"; data: BigInt64Array });

/** A graph input or output: float32, with fixed (number) or symbolic (string) dimensions, or no shape. */
export interface OnnxValueInfo {
  name: string;
  shape?: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelOptions {
  /** Default-domain operator set the nodes are written for. */
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

// The ONNX IR version that goes with opsets up to 17 (ONNX 1.12).
const IR_VERSION = 8;
// TensorProto.DataType values.
const FLOAT = 1;
const INT64 = 7;
// AttributeProto.AttributeType values.
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

function message(name: string, fields: [field: string, id: number, type: string, rule?: "repeated"][]): protobuf.Type {
  const type = new protobuf.Type(name);
  for (const [field, id, fieldType, rule] of fields) type.add(new protobuf.Field(field, id, fieldType, rule));
  return type;
}

/** The subset of ONNX's messages written here, field numbers as the specification gives them. */
function onnxTypes(): protobuf.Type {
  const root = new protobuf.Root();
  root.add(
    message("Dimension", [
      ["dimValue", 1, "int64"],
      ["dimParam", 2, "string"],
    ]),
  );
  root.add(message("TensorShape", [["dim", 1, "Dimension", "repeated"]]));
  root.add(
    message("TensorType", [
      ["elemType", 1, "int32"],
      ["shape", 2, "TensorShape"],
    ]),
  );
  root.add(message("Type", [["tensorType", 1, "TensorType"]]));
  root.add(
    message("ValueInfo", [
      ["name", 1, "string"],
      ["type", 2, "Type"],
    ]),
  );
  root.add(
    message("Tensor", [
      ["dims", 1, "int64", "repeated"],
      ["dataType", 2, "int32"],
      ["name", 8, "string"],
      ["rawData", 9, "bytes"],
    ]),
  );
  root.add(
    message("Attribute", [
      ["name", 1, "string"],
      ["f", 2, "float"],
      ["i", 3, "int64"],
      ["s", 4, "bytes"],
      ["floats", 7, "float", "repeated"],
      ["ints", 8, "int64", "repeated"],
      ["type", 20, "int32"],
    ]),
  );
  root.add(
    message("Node", [
      ["input", 1, "string", "repeated"],
      ["output", 2, "string", "repeated"],
      ["name", 3, "string"],
      ["opType", 4, "string"],
      ["attribute", 5, "Attribute", "repeated"],
    ]),
  );
  root.add(
    message("Graph", [
      ["node", 1, "Node", "repeated"],
      ["name", 2, "string"],
      ["initializer", 5, "Tensor", "repeated"],
      ["input", 11, "ValueInfo", "repeated"],
      ["output", 12, "ValueInfo", "repeated"],
    ]),
  );
  root.add(
    message("OperatorSetId", [
      ["domain", 1, "string"],
      ["version", 2, "int64"],
    ]),
  );
  root.add(
    message("Model", [
      ["irVersion", 1, "int64"],
      ["producerName", 2, "string"],
      ["producerVersion", 3, "string"],
      ["docString", 6, "string"],
      ["graph", 7, "Graph"],
      ["opsetImport", 8, "OperatorSetId", "repeated"],
    ]),
  );
  return root.resolveAll().lookupType("Model");
}

let modelType: protobuf.Type | null = null;

function valueInfo(v: OnnxValueInfo) {
  const tensorType: Record<string, unknown> = { elemType: FLOAT };
  if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) };
  return { name: v.name, type: { tensorType } };
}

function attribute(name: string, a: OnnxAttribute) {
  const type = ATTRIBUTE_TYPE[a.kind];
  switch (a.kind) {
    case "int":
      return { name, type, i: a.value };
    case "ints":
      return { name, type, ints: a.value };
    case "float":
      return { name, type, f: a.value };
    case "floats":
      return { name, type, floats: a.value };
    case "string":
      return { name, type, s: Buffer.from(a.value, "utf8") };
  }
}

function tensor(t: OnnxInitializer) {
  const expected = t.dims.reduce((n, d) => n * d, 1);
  if (t.data.length !== expected) throw new Error(`initializer "${t.name}" has ${t.data.length} values for dims [${t.dims.join(", ")}]`);
  // raw_data is little-endian whatever the host; copy through a DataView to be sure.
  const bytes = new Uint8Array(t.data.length * (t.type === "float32" ? 4 : 8));
  const view = new DataView(bytes.buffer);
  if (t.type === "float32") for (const [i, v] of t.data.entries()) view.setFloat32(i * 4, v, true);
  else for (const [i, v] of t.data.entries()) view.setBigInt64(i * 8, v, true);
  return { dims: t.dims, dataType: t.type === "float32" ? FLOAT : INT64, name: t.name, rawData: bytes };
}

/** Encodes the graph as an ONNX file (bytes of a `ModelProto`). */
export function encodeOnnxModel(graph: OnnxGraph, options: OnnxModelOptions): Uint8Array {
  modelType ??= onnxTypes();
  const model = {
    irVersion: IR_VERSION,
    producerName: options.producerName,
    producerVersion: options.producerVersion,
    ...(options.docString ? { docString: options.docString } : {}),
    graph: {
      node: graph.nodes.map((n) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name,
        opType: n.opType,
        // Attributes sorted by name: the same node always encodes the same way.
        attribute: Object.entries(n.attributes ?? {})
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, a]) => attribute(name, a)),
      })),
      name: graph.name,
      initializer: graph.initializers.map(tensor),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
    opsetImport: [{ domain: "", version: options.opset }],
  };
  const problem = modelType.verify(model);
  if (problem) throw new Error(`ONNX model does not encode: ${problem}`);
  return modelType.encode(model).finish();
}
