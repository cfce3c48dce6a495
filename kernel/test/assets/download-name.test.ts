import { expect, test } from "vitest";
import { downloadName } from "../../src/assets/asset-service.js";

test("a downloaded original is named after its asset, marked with its version after the first, with its real extension", () => {
  expect(downloadName("harbour.jpg", 1, "image/jpeg")).toBe("harbour.jpg");
  expect(downloadName("harbour.jpg", 2, "image/jpeg")).toBe("harbour (v2).jpg");
  // An edit exported as WebP is a .webp, whatever the first upload was.
  expect(downloadName("harbour.jpg", 3, "image/webp")).toBe("harbour (v3).webp");
  expect(downloadName("clip.mov", 1, "video/quicktime")).toBe("clip.mov");
  expect(downloadName("notes", 1, "audio/ogg")).toBe("notes");
});
