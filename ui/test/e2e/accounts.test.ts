import { rmSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureStudioBuilt, type Host, openBrowser, screenshots, startHost, tempDir } from "./harness.js";

/** With accounts (CREALIA_AUTH=accounts) the studio signs up, signs out and signs in with a cookie session. */
const temps: string[] = [];
let host: Host;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  await ensureStudioBuilt();
  const home = tempDir("crealia-e2e-accounts-");
  const profile = tempDir("crealia-e2e-accounts-profile-");
  temps.push(home, profile);
  host = await startHost({ home, env: { CREALIA_AUTH: "accounts" } });
  context = await openBrowser(profile);
  page = context.pages()[0] ?? (await context.newPage());
}, 60_000);

afterAll(async () => {
  await context?.close();
  await host?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

test("sign up, sign out, a wrong password explained, sign in again", async () => {
  await page.goto(`${host.url}/library`);
  await page.getByRole("heading", { name: "Sign in to Crealia" }).waitFor();
  await page.screenshot({ path: path.join(screenshots, "sign-in.png") });
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Your library is empty" }).waitFor();
  expect(await page.locator(".account").textContent()).toContain("Ada Lovelace");
  // The session is an httpOnly cookie, unreadable by the page; only the CSRF token is readable.
  const cookies = await context.cookies(host.url);
  expect(cookies.find((c) => c.name === "crealia_access")?.httpOnly).toBe(true);
  expect(await page.evaluate(() => document.cookie)).not.toContain("crealia_access");

  await page.goto(`${host.url}/settings`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in to Crealia" }).waitFor();
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.getByRole("alert").first().textContent()).toBe("That email and password don't match an account.");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Your library is empty" }).waitFor();
}, 30_000);
