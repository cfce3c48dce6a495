import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

export interface TestS3 {
  client: S3Client;
  bucket: string;
  endpoint: string;
  /** s3rver's folder of unfinished multipart uploads, to check that none is left behind. */
  uploadsDir: string;
  close(): Promise<void>;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "s3rver-child.mjs");

/** s3rver (a real S3-protocol server) in a child process, on a random port, in a temp folder, with a bucket. */
export async function startTestS3(): Promise<TestS3> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "crealia-s3rver-"));
  const child = spawn(process.execPath, ["--openssl-legacy-provider", CHILD, dir], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await firstLine(child).then((line) => (JSON.parse(line) as { port: number }).port);
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = "crealia-test";
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    // Without these, newer SDKs send chunk-framed bodies that s3rver stores framing and all.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    client,
    bucket,
    endpoint,
    uploadsDir: path.join(dir, bucket, "._S3rver_uploads"),
    async close() {
      client.destroy();
      child.kill();
      await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) resolve(text.split("\n")[0] as string);
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
  });
}
