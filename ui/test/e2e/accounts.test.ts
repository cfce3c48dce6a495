import { rmSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureStudioBuilt, type Host, openBrowser, pluginDirsWith, screenshots, startHost, tempDir } from "./harness.js";

/**
 * With accounts (CREALIA_AUTH=accounts) the studio signs up, signs out and signs in with a cookie
 * session; an agency gives its client workspaces their plugins through bundles.
 */
const temps: string[] = [];
let host: Host;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  await ensureStudioBuilt();
  const home = tempDir("crealia-e2e-accounts-");
  const profile = tempDir("crealia-e2e-accounts-profile-");
  temps.push(home, profile);
  host = await startHost({ home, env: { CREALIA_AUTH: "accounts", CREALIA_PLUGIN_DIRS: pluginDirsWith(home, ["filters"]) } });
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

test("an agency creates a client and a bundle, applies it, and the client has exactly the bundle's plugins", async () => {
  const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  const currentWorkspace = () => page.getByLabel("Workspace", { exact: true }).evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent);
  await page.goto(`${host.url}/settings`);
  await page.getByLabel("Name").fill("Northwind Agency");
  await page.getByLabel("An agency", { exact: false }).check();
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.waitForURL(/\/settings\/plugins$/);
  await page.getByRole("heading", { name: "Agency bundles" }).waitFor();
  expect(await currentWorkspace()).toBe("Northwind Agency");

  await page.getByLabel("New client").fill("Client Co");
  await page.getByRole("button", { name: "Add client" }).click();
  await page.locator(".client-list li", { hasText: "Client Co" }).waitFor();

  await page.getByLabel("Name", { exact: true }).fill("Photo studio");
  await page.getByLabel("filters", { exact: true }).check();
  await page.getByLabel("Version pin for filters").fill("^1");
  await page.getByRole("button", { name: "Create bundle" }).click();
  const row = page.locator('tr[data-bundle="Photo studio"]');
  await row.waitFor();
  expect(await row.locator("td").first().textContent()).toBe("filters ^1");

  await row.getByLabel("Client for Photo studio").selectOption({ label: "Client Co" });
  await row.getByRole("button", { name: "Apply" }).click();
  await expect.poll(() => row.locator("td").nth(1).textContent()).toBe("Client Co");
  await shot("plugins-agency");

  // In the client workspace: the bundle's plugin is on (pinned), every other one is off.
  await Promise.all([page.waitForEvent("load"), page.getByLabel("Workspace", { exact: true }).selectOption({ label: "Client Co" })]);
  await page.goto(`${host.url}/settings/plugins`);
  const filters = page.locator('tr[data-plugin="filters"]');
  await filters.waitFor();
  await expect.poll(() => filters.getByRole("switch").isChecked()).toBe(true);
  expect(await filters.textContent()).toContain("(pinned ^1)");
  expect(await page.locator('tr[data-plugin="studio-fixture"]').getByRole("switch").isChecked()).toBe(false);
  expect(await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Fixture notes" }).count()).toBe(0);
  await expect.poll(() => currentWorkspace()).toBe("Client Co");
}, 60_000);
