import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";

const BLOCK = 512;

/** Receives the bytes of one wanted entry, in order; may return a promise to apply backpressure. */
export type TarEntrySink = (chunk: Buffer) => void | Promise<void>;

interface Header {
  path: string;
  size: number;
  type: string;
}

/**
 * Streams a tar archive and hands the bytes of the entries `want` accepts to their sink. A small
 * reader for npm tarballs (ustar, with pax `path`/`size` records and GNU long names): enough to
 * take a few files out of a package without unpacking it.
 * Returns the paths of every regular file in the archive.
 */
export async function readTar(input: AsyncIterable<Buffer | string>, want: (path: string, size: number) => TarEntrySink | null): Promise<string[]> {
  const files: string[] = [];
  let pending = Buffer.alloc(0);
  let entry: { header: Header; remaining: number; padding: number; sink: TarEntrySink | null; body: Buffer[] | null } | null = null;
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let ended = false;

  for await (const raw of input) {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(raw)]) : Buffer.from(raw);
    while (!ended) {
      if (entry) {
        if (entry.remaining > 0) {
          if (pending.length === 0) break;
          const take = Math.min(entry.remaining, pending.length);
          const chunk = pending.subarray(0, take);
          pending = pending.subarray(take);
          entry.remaining -= take;
          if (entry.sink) await entry.sink(Buffer.from(chunk));
          else if (entry.body) entry.body.push(Buffer.from(chunk));
          continue;
        }
        if (pending.length < entry.padding) break;
        pending = pending.subarray(entry.padding);
        if (entry.body) {
          const text: string = Buffer.concat(entry.body).toString("utf8");
          if (entry.header.type === "x") pax = parsePax(text);
          else if (entry.header.type === "L") longName = text.replace(/\0.*$/s, "");
        }
        entry = null;
        continue;
      }
      if (pending.length < BLOCK) break;
      const block = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (block.every((b) => b === 0)) {
        ended = true;
        break;
      }
      const header = parseHeader(block);
      let size = header.size;
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (header.type === "x" || header.type === "L") {
        entry = { header, remaining: size, padding, sink: null, body: [] };
        continue;
      }
      if (header.type === "g") {
        entry = { header, remaining: size, padding, sink: null, body: null };
        continue;
      }
      const name: string = pax.path ?? longName ?? header.path;
      if (pax.size !== undefined) size = Number(pax.size);
      pax = {};
      longName = null;
      const isFile = header.type === "0" || header.type === "\0" || header.type === "";
      if (isFile) files.push(name);
      entry = {
        header: { ...header, path: name, size },
        remaining: size,
        padding: (BLOCK - (size % BLOCK)) % BLOCK,
        sink: isFile ? want(name, size) : null,
        body: null,
      };
    }
  }
  if (entry && entry.remaining > 0) throw new Error(`tar archive ends inside "${entry.header.path}"`);
  return files;
}

/** Reads a gzipped tarball (an npm `.tgz`) from disk. */
export function readTgz(file: string, want: (path: string, size: number) => TarEntrySink | null): Promise<string[]> {
  return readTar(createReadStream(file).pipe(createGunzip()), want);
}

function parseHeader(block: Buffer): Header {
  const checksum = octal(block.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  if (checksum !== sum) throw new Error("not a tar archive (header checksum mismatch)");
  const name = cString(block.subarray(0, 100));
  const prefix = block.subarray(257, 263).toString("latin1").startsWith("ustar") ? cString(block.subarray(345, 500)) : "";
  const sizeField = block.subarray(124, 136);
  // GNU base-256 size for entries of 8 GiB and more.
  const size = ((sizeField[0] as number) & 0x80) !== 0 ? Number(sizeField.subarray(4).readBigUInt64BE()) : octal(sizeField);
  return { path: prefix ? `${prefix}/${name}` : name, size, type: String.fromCharCode(block[156] as number) };
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString("utf8");
}

function octal(buf: Buffer): number {
  const text = cString(buf).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

/** pax extended header records: `<len> <key>=<value>\n`. */
function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = Buffer.from(text, "utf8");
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    if (space < 0) break;
    const len = Number(rest.subarray(0, space).toString());
    if (!Number.isFinite(len) || len <= 0) break;
    const record = rest
      .subarray(space + 1, len)
      .toString("utf8")
      .replace(/\n$/, "");
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    rest = rest.subarray(len);
  }
  return out;
}
