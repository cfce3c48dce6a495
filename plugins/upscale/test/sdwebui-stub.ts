/**
 * A local stand-in for a Stable Diffusion WebUI server started with `--api` (and optionally
 * `--api-auth`), following its API's contract: the routes, JSON shapes, base64 PNG images and
 * error answers (401 `{ detail }`, FastAPI 422 `{ detail: [{ loc, msg, type }] }`, 400 for an
 * unknown upscaler, 500 `{ error, detail, body, errors }`). Its "upscaler" is a lanczos resize and
 * its "generation" a flat colour: it tests the plugin's side of the contract, not a model.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

export interface StubServer {
  url: string;
  calls: { path: string; body: Record<string, unknown> }[];
  auth: string | null;
  close(): Promise<void>;
}

const UPSCALERS = ["None", "Lanczos", "Nearest", "R-ESRGAN 4x+"];

export async function startSdWebUiStub(options: { auth?: string } = {}): Promise<StubServer> {
  const stub: StubServer = { url: "", calls: [], auth: options.auth ?? null, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      if (stub.auth && req.headers.authorization !== `Basic ${Buffer.from(stub.auth).toString("base64")}`)
        return send(401, { detail: "Incorrect credentials" });
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
      const path = (req.url ?? "").split("?")[0] as string;
      stub.calls.push({ path, body });
      const int = (name: string, v: unknown) =>
        Number.isInteger(v) ? null : { loc: ["body", name], msg: "value is not a valid integer", type: "type_error.integer" };
      if (req.method === "GET" && path === "/sdapi/v1/upscalers")
        return send(
          200,
          UPSCALERS.map((name) => ({ name, model_name: null, model_path: null, model_url: null, scale: 4 })),
        );
      if (req.method === "POST" && path === "/sdapi/v1/extra-single-image") {
        if (typeof body.image !== "string") return send(422, { detail: [{ loc: ["body", "image"], msg: "field required", type: "value_error.missing" }] });
        if (!UPSCALERS.includes(String(body.upscaler_1))) return send(400, { detail: `Invalid upscaler, needs to be one of these: ${UPSCALERS.join(" , ")}` });
        const input = sharp(Buffer.from(body.image, "base64"));
        const meta = await input.metadata();
        const k = Number(body.upscaling_resize ?? 2);
        const out = await input
          .resize(Math.round((meta.width ?? 0) * k), Math.round((meta.height ?? 0) * k), { kernel: "lanczos3", fit: "fill" })
          .png()
          .toBuffer();
        return send(200, { html_info: "<p>stub</p>", image: out.toString("base64") });
      }
      if (req.method === "POST" && (path === "/sdapi/v1/txt2img" || path === "/sdapi/v1/img2img")) {
        const bad = [int("width", body.width), int("height", body.height), int("steps", body.steps)].filter(Boolean);
        if (bad.length) return send(422, { detail: bad });
        if (String(body.prompt).includes("FAIL"))
          return send(500, { error: "OutOfMemoryError", detail: "", body: "", errors: "CUDA out of memory. Tried to allocate 2.00 GiB" });
        if (path === "/sdapi/v1/img2img" && !Array.isArray(body.init_images))
          return send(422, { detail: [{ loc: ["body", "init_images"], msg: "field required", type: "value_error.missing" }] });
        const image =
          path === "/sdapi/v1/txt2img"
            ? await sharp({ create: { width: body.width as number, height: body.height as number, channels: 3, background: "#4060a0" } })
                .png()
                .toBuffer()
            : await sharp(Buffer.from((body.init_images as string[])[0] as string, "base64"))
                .tint("#a06040")
                .png()
                .toBuffer();
        return send(200, { images: [image.toString("base64")], parameters: body, info: JSON.stringify({ prompt: body.prompt, seed: 1234 }) });
      }
      return send(404, { detail: "Not Found" });
    } catch (err) {
      send(500, { error: "StubError", detail: String(err), body: "", errors: "" });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () => new Promise((resolve) => server.close(() => resolve()));
  return stub;
}
