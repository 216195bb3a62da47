/**
 * The dashboard in a real browser: the server (which mounts the dashboard) over a SQLite file, an
 * order workflow waiting for approval, and headless Chromium that finds it in the list, reads its
 * tree, approves it through the form and watches it finish. With REPRISE_SCREENSHOTS=1 it saves
 * docs/screenshots/*.png.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reprise } from "../../src/index.js";
import { buildApp } from "../../src/server/app.js";
import { openStore, type Store } from "../../src/store/index.js";
import { ensureUiBuilt } from "./support/build-ui.js";
import { registerOrderWorkflows } from "./support/order-workflow.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOTS = process.env.REPRISE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url)) : undefined;
const TOKEN = "let-me-in";
/** How long the page may take to show a change (it polls every 1-2 s; CI machines are slow). */
const PATIENCE_MS = 15_000;

/** CI installs Chromium and sets REPRISE_REQUIRE_BROWSER; elsewhere a missing browser skips, saying so. */
const browserInstalled = existsSync(CHROMIUM);
if (!browserInstalled) {
  if (process.env.REPRISE_REQUIRE_BROWSER) throw new Error(`REPRISE_REQUIRE_BROWSER is set but ${CHROMIUM} is missing (apt-get install chromium)`);
  console.warn(`${CHROMIUM} is missing: skipping the dashboard browser tests (apt-get install chromium to run them)`);
}

let dir: string;
let store: Store;
let app: FastifyInstance;
let securedApp: FastifyInstance;
let reprise: Reprise;
let workflows: ReturnType<typeof registerOrderWorkflows>;
let remoteWorker: Reprise;
let browser: Browser;
let page: Page;
let url: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!browserInstalled) return;
  ensureUiBuilt();
  dir = mkdtempSync(join(tmpdir(), "reprise-dashboard-"));
  store = await openStore(join(dir, "reprise.db"));
  app = await serve({ store });
  url = addressOf(app);
  // The workflows run embedded on the server's own store, so a settle through the page wakes them at once.
  reprise = new Reprise({ store, logLevel: "silent" });
  workflows = registerOrderWorkflows(reprise);
  remoteWorker = new Reprise({ url, group: "billing", pid: "billing-1", logLevel: "silent" });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await remoteWorker?.stop();
  await securedApp?.close();
  await app?.close();
  await reprise?.stop(); // closes the shared store
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(browserInstalled)("the dashboard in a browser", () => {
  it("lists executions, shows an order's tree, approves it through the form and sees it finish", async () => {
    await workflows.greet.run("greet-ada", "Ada");
    await expect(workflows.refund.run("refund-41", "41")).rejects.toThrow("never charged");
    const order = await workflows.fulfilOrder.beginRun("order-7", "order-7", 4200);
    await poll(() => stateOf("approve-order-7")).toBe("pending");
    await reprise.schedules.create("nightly-report", "0 2 * * *", "greet", "ops");

    // The list, reached from `/` as a browser asks for it.
    await page.goto(`${url}/`);
    const orderRow = page.locator('tr[data-id="order-7"]');
    await orderRow.waitFor();
    expect(await orderRow.locator("[data-state]").getAttribute("data-state")).toBe("pending");
    expect(await orderRow.textContent()).toContain("fulfilOrder");
    expect(await page.locator('tr[data-id="refund-41"] [data-state]').getAttribute("data-state")).toBe("rejected");
    expect(await page.locator('tr[data-id="greet-ada"] [data-state]').getAttribute("data-state")).toBe("resolved");
    await screenshot("executions");

    // Filters: by id prefix, then by state.
    await page.fill('input[name="idPrefix"]', "order-");
    await page.press('input[name="idPrefix"]', "Enter");
    await poll(() => page.locator("table.executions tbody tr").count()).toBe(1);
    await page.selectOption('select[name="state"]', "resolved");
    await page.locator("p.empty").waitFor();
    await page.goto(`${url}/dashboard/#/executions`);

    // Live: a new execution appears without a reload.
    await workflows.greet.run("greet-grace", "Grace");
    await page.locator('tr[data-id="greet-grace"]').waitFor({ timeout: PATIENCE_MS });

    // The tree of the waiting order.
    await page.click('tr[data-id="order-7"] a');
    const node = (id: string) => page.locator(`li.node[data-id="${id}"]`);
    const row = (id: string) => node(id).locator("> .row");
    await row("order-7").waitFor();
    expect(await node("order-7.1").getAttribute("data-kind")).toBe("step");
    expect(await row("order-7.1").textContent()).toContain("chargeCard");
    expect(await node("approve-order-7").getAttribute("data-kind")).toBe("promise");
    expect(await node("approve-order-7").getAttribute("data-state")).toBe("pending");
    expect(await node("order-7.3").getAttribute("data-kind")).toBe("sleep");
    await poll(() => row("order-7.3").textContent()).toMatch(/wakes in 9m \d+s/);
    // The race is recorded once it has a winner (its futures, the sleep and the promise, show it meanwhile).
    expect(await node("order-7.4").count()).toBe(0);
    await row("order-7.1").click();
    expect(await node("order-7.1").locator(".value-value button.link").textContent()).toMatch(/show all [\d,]+ characters/);
    await screenshot("execution-waiting");

    // Approve through the form; the page follows the workflow to its end.
    await node("approve-order-7").locator('textarea[name="value"]').fill('{"approved": true, "by": "ops@example.com"}');
    await node("approve-order-7").locator('button[name="resolve"]').click();
    await poll(() => page.locator(".execution-state [data-state]").getAttribute("data-state")).toBe("resolved");
    expect(await order.result()).toMatchObject({ orderId: "order-7", status: "shipped", approvedBy: "ops@example.com" });
    expect(await node("approve-order-7").getAttribute("data-state")).toBe("resolved");
    // The race is recorded once decided. The deadline lost it: still pending in the store, but nothing waits for it.
    expect(await node("order-7.4").getAttribute("data-kind")).toBe("race");
    expect(await node("order-7.3").getAttribute("data-state")).toBe("pending");
    await poll(() => node("order-7.3").getAttribute("data-not-awaited")).toBe("ended");
    expect(await row("order-7.3").textContent()).toContain("not awaited");
    expect(await row("order-7.3").textContent()).not.toContain("wakes in");
    // Picked up when it started and once more when the approval resumed it: no take-over.
    await poll(() => page.locator(".execution-runs").textContent()).toBe("run twice (1 wait)");

    // A step that needed two attempts, and a step that failed for good, with its error and stack.
    await poll(() => node("order-7.5").getAttribute("data-state")).toBe("resolved");
    expect(await row("order-7.5").textContent()).toContain("2 attempts");
    const failed = node("order-7.6");
    expect(await failed.getAttribute("data-state")).toBe("rejected");
    expect(await failed.locator(".error-block strong").textContent()).toContain("TypeError: legacy CRM refused order order-7");
    expect(await failed.locator(".error-block .stack").textContent()).toContain("notifyLegacyCrm");
    await screenshot("execution-finished");

    // Schedules and workers.
    await page.click('nav a[href="#/schedules"]');
    await page.locator('tr[data-id="nightly-report"]').waitFor();
    expect(await page.locator('tr[data-id="nightly-report"]').textContent()).toContain("0 2 * * *");
    await screenshot("schedules");
    await page.click('nav a[href="#/workers"]');
    await page.locator("table.workers tbody tr").first().waitFor();
    expect(await page.locator("table.workers").textContent()).toContain("billing-1");
    await page.locator('table.tasks tr[data-id="order-7"]').waitFor();
    expect(await page.locator('table.tasks tr[data-id="order-7"]').textContent()).toContain("fulfilled");
    await screenshot("workers");

    expect(pageErrors).toEqual([]);
  });

  it("shows on the execution the write the server refused", async () => {
    // A worker's fenced write the server refuses (a child id with a NUL): it would release and retry.
    const head = { corrId: "c", version: "v" };
    const post = (body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const create = { kind: "promise.create", head, data: { id: "stuck-9", timeoutAt: Date.now() + 600_000, param: {}, tags: { "resonate:target": "poll://any@nobody", "resonate:scope": "global" } } };
    const created = (await (await post({ kind: "task.create", head, data: { pid: "w", ttl: 60_000, action: create } })).json()) as { data: { task: { version: number } } };
    const child = { kind: "promise.create", head, data: { id: "stuck-9.1\u0000", timeoutAt: Date.now() + 60_000, param: {}, tags: {} } };
    expect((await post({ kind: "task.fence", head, data: { id: "stuck-9", version: created.data.task.version, action: child } })).status).toBe(400);

    await page.goto(`${url}/dashboard/#/executions/stuck-9`);
    const refused = page.locator(".refused-write");
    await refused.waitFor({ timeout: PATIENCE_MS });
    expect(await refused.getAttribute("data-field")).toBe("data.action.data.id");
    expect(await refused.textContent()).toContain("without NUL");
  });

  it("cancels a waiting execution with the button on its page", async () => {
    const order = await workflows.fulfilOrder.beginRun("order-9", "order-9", 900);
    await poll(() => stateOf("approve-order-9")).toBe("pending");
    await page.goto(`${url}/dashboard/#/executions/order-9`);
    await page.locator('.cancel-execution button[name="cancel-execution"]').waitFor();
    await page.fill('.cancel-execution input[name="reason"]', "customer called");
    await page.click('.cancel-execution button[name="cancel-execution"]');
    await poll(() => page.locator(".execution-state [data-state]").getAttribute("data-state")).toBe("rejected_canceled");
    await expect(order.result()).rejects.toMatchObject({ name: "CancelledError", reason: "customer called" });
    expect(await stateOf("approve-order-9")).toBe("rejected_canceled");
    // Finished: no button any more.
    await poll(() => page.locator(".cancel-execution").count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it("asks once for the token of a server that needs one, and keeps it", async () => {
    await workflows.greet.run("greet-secret", "Eve");
    securedApp = await serve({ store, authToken: TOKEN });
    const context = await browser.newContext();
    const secured = await context.newPage();
    await secured.goto(`${addressOf(securedApp)}/dashboard/`);
    await secured.locator(".token-prompt").waitFor();
    await screenshot("token-prompt", secured);
    await secured.fill('.token-prompt input[name="token"]', TOKEN);
    await secured.press('.token-prompt input[name="token"]', "Enter");
    await secured.locator('tr[data-id="greet-secret"]').waitFor();
    await secured.reload();
    await secured.locator('tr[data-id="greet-secret"]').waitFor();
    expect(await secured.locator(".token-prompt").count()).toBe(0);
    await context.close();
  });
});

// ---------------------------------------------------------------------------------------------

function poll<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: PATIENCE_MS });
}

async function serve(options: { store: Store; authToken?: string }): Promise<FastifyInstance> {
  const server = await buildApp(options); // the server mounts the dashboard itself
  await server.listen({ port: 0, host: "127.0.0.1" });
  return server;
}

function addressOf(server: FastifyInstance): string {
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("server is not listening on a port");
  return `http://127.0.0.1:${address.port}`;
}

async function stateOf(id: string): Promise<string | undefined> {
  const response = await fetch(`${url}/promises/${id}`);
  return response.ok ? ((await response.json()) as { promise: { state: string } }).promise.state : undefined;
}

async function screenshot(name: string, target: Page = page): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
