// harness.mjs: what every browser test shares. It starts the local runner
// (cmd/local) on a free 127.0.0.1 port with a fresh random SESSION_SECRET,
// launches Debian's chromium through playwright-core, and opens browser
// contexts that record every console error, page error, failed request,
// unexpected HTTP error and Content-Security-Policy violation. A scenario
// fails if any of those happened, unless it said in advance which HTTP error
// it expects (for example the 400 of the tamper demo).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

/** The repository's root: the runner reads template.yaml and site/ from there. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Debian's chromium; playwright-core never downloads a browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags the project runs chromium with (see the issue). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Desktop and phone viewports of the screenshots and checks. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** The four pages of the site. */
export const PAGES = ["index", "cookies", "account", "shop"];

const AXE_SOURCE = readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");

/** A username no other scenario of this run uses. */
export function uniqueName(prefix) {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

// ---------- the local runner ----------

/**
 * Returns the path of a built runner: $SESSIONLAB_RUNNER (make e2e builds
 * it once), or one built into dir with go build.
 */
function runnerBinary(dir) {
  const given = process.env.SESSIONLAB_RUNNER;
  if (given) {
    assert.ok(existsSync(given), `SESSIONLAB_RUNNER=${given} does not exist: build it with go build -o ${given} ./cmd/local`);
    return resolve(given);
  }
  const out = join(dir, "local");
  execFileSync("go", ["build", "-o", out, "./cmd/local"], { cwd: ROOT, stdio: "inherit" });
  return out;
}

/**
 * Starts the runner on a free port (PORT=0: the kernel picks it, the runner
 * prints it) with a fresh key in a temporary env file; options.secure sets
 * COOKIE_SECURE=true (Secure cookies with __Host- names, which chromium keeps
 * on http://127.0.0.1, a secure context); options.reauthWindow sets
 * SESSION_REAUTH_WINDOW (a Go duration), so a test can outlive a session's
 * freshUntil.
 * @param {{secure?: boolean, reauthWindow?: string}} [options]
 * @returns {Promise<{base:string, stop:()=>Promise<void>, log:()=>string}>}
 */
export async function startRunner(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "sessionlab-e2e-"));
  const bin = runnerBinary(dir);
  const envFile = join(dir, "env.json");
  const secret = randomBytes(32).toString("hex");
  const secure = options.secure ? "true" : "false";
  const params = { SESSION_SECRET: secret, COOKIE_SECURE: secure };
  if (options.reauthWindow) params.SESSION_REAUTH_WINDOW = options.reauthWindow;
  writeFileSync(envFile, JSON.stringify({ Parameters: params }), { mode: 0o600 });
  const child = spawn(bin, [], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ENV_FILE: envFile, STORE: "memory" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
  const port = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the runner did not say its port within 10 s:\n${output}`)), 10_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /site and API on http:\/\/localhost:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`the runner exited (${code ?? signal}) before serving:\n${output}`));
    });
  });
  return {
    base: `http://127.0.0.1:${port}`,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------- the browser ----------

/** Launches Debian's chromium with the project's flags and a fresh profile. */
export async function launchBrowser() {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); the tests never download a browser`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * Opens a browser context that records what must never happen: console
 * errors, uncaught page errors, failed requests, HTTP errors nobody
 * expected, and CSP violations (a securitypolicyviolation listener added
 * before any page script runs). Never uses bypassCSP.
 * @returns {Promise<Guarded>}
 */
export async function guardedContext(browser, base, options = {}) {
  const ctx = await browser.newContext({ baseURL: base, viewport: DESKTOP, ...options });
  const guard = new Guarded(ctx, base);
  await ctx.exposeBinding("__e2eCSPViolation", ({ page }, v) => {
    guard.problems.push(`CSP violation on ${page.url()}: ${v}`);
  });
  await ctx.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__e2eCSPViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  ctx.on("page", (page) => guard.watch(page));
  return guard;
}

/** A browser context with its record of problems. */
export class Guarded {
  constructor(ctx, base) {
    /** @type {import("playwright-core").BrowserContext} */
    this.ctx = ctx;
    this.base = base;
    /** @type {string[]} */
    this.problems = [];
    /** "status path" of HTTP errors a scenario expects. */
    this.allowed = new Set();
    /** Paths whose failed requests (no answer at all) a scenario expects. */
    this.allowedFailures = new Set();
    /** Requests in flight per page. */
    this.inflight = new WeakMap();
  }

  /** Says that an HTTP error (status on an /api/ path) is what the scenario expects. */
  allowHTTPError(status, path) {
    this.allowed.add(`${status} ${path}`);
  }

  isAllowed(status, url) {
    return this.allowed.has(`${status} ${new URL(url).pathname}`);
  }

  /**
   * Says that a request to path failing without an answer (a network
   * error, made by the scenario with page.route) is what it expects.
   */
  allowFailedRequest(path) {
    this.allowedFailures.add(path);
  }

  isAllowedFailure(url) {
    return this.allowedFailures.has(new URL(url).pathname);
  }

  watch(page) {
    const pending = new Set();
    this.inflight.set(page, pending);
    page.on("request", (r) => pending.add(r));
    page.on("requestfinished", (r) => pending.delete(r));
    page.on("requestfailed", (r) => {
      pending.delete(r);
      if (this.isAllowedFailure(r.url())) return;
      this.problems.push(`request failed on ${page.url()}: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && !this.isAllowed(r.status(), r.url())) {
        this.problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()} on ${page.url()}`);
      }
    });
    page.on("pageerror", (e) => this.problems.push(`page error on ${page.url()}: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() !== "error" && m.type() !== "assert") return;
      const text = m.text();
      const status = /responded with a status of (\d{3})/.exec(text);
      const url = m.location()?.url;
      if (status && url && this.isAllowed(Number(status[1]), url)) return;
      if (/net::ERR_FAILED/.test(text) && url && this.isAllowedFailure(url)) return;
      this.problems.push(`console ${m.type()} on ${page.url()}: ${text}`);
    });
  }

  /** Opens a page of this context. */
  async newPage() {
    return this.ctx.newPage();
  }

  /** Opens a page at path and waits until its first requests are done. */
  async open(path) {
    const page = await this.ctx.newPage();
    await goto(page, path);
    return page;
  }

  /** Waits until page has had no request in flight for a moment. */
  async settle(page, timeout = 10_000) {
    const pending = this.inflight.get(page);
    const end = Date.now() + timeout;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > end) throw new Error(`requests still in flight on ${page.url()}: ${[...pending].map((r) => r.url()).join(", ")}`);
      await page.waitForTimeout(25);
      quiet = pending.size === 0 ? quiet + 1 : 0;
    }
  }

  /** The cookie jar of this context, by name (cookies sent to the site's root). */
  async jar() {
    const list = await this.ctx.cookies(this.base);
    return Object.fromEntries(list.map((c) => [c.name, c]));
  }

  /** Every cookie of this context, whatever its path. */
  async allCookies() {
    return this.ctx.cookies();
  }

  async close() {
    await this.ctx.close();
  }
}

/** Navigates page to path, then waits for its requests to finish. */
export async function goto(page, path) {
  const res = await page.goto(path, { waitUntil: "load" });
  assert.ok(res && res.ok(), `GET ${path} answered ${res && res.status()}`);
  await settleOf(page);
  return res;
}

/** Reloads page and waits for its requests to finish. */
export async function reload(page) {
  await page.reload({ waitUntil: "load" });
  await settleOf(page);
}

const settlers = new WeakMap();

/** Waits for the page's requests through the Guarded that watches it. */
export async function settleOf(page) {
  const g = settlers.get(page.context());
  if (g) await g.settle(page);
}

// ---------- waiting and reading ----------

/**
 * Polls fn (async, returns a value) until check(value) is true; fails with
 * what it saw last.
 */
export async function until(fn, check, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (check(last)) return last;
    if (Date.now() > end) assert.fail(`${what}: last saw ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the element's text contains want (a string or RegExp). */
export async function waitText(page, selector, want, timeout) {
  const ok = (t) => t !== null && (want instanceof RegExp ? want.test(t) : t.includes(want));
  return until(() => page.locator(selector).first().textContent({ timeout: 2_000 }).catch(() => null), ok,
    `${selector} should show ${want}`, timeout);
}

/** Waits until the element's attribute equals want. */
export async function waitAttr(page, selector, name, want, timeout) {
  return until(() => page.locator(selector).first().getAttribute(name, { timeout: 2_000 }).catch(() => null),
    (v) => v === want, `${selector}[${name}] should be ${want}`, timeout);
}

// ---------- accessibility ----------

/**
 * Runs axe-core in page (its source is evaluated through the DevTools
 * protocol, which the page's CSP does not block, unlike an inline <script>)
 * and fails on any serious or critical violation.
 */
export async function assertAccessible(page, label) {
  const hasAxe = await page.evaluate(() => typeof window.axe === "object");
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      resultTypes: ["violations"],
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `axe-core found serious or critical violations on ${label}`);
  return violations;
}

// ---------- keyboard ----------

/**
 * Tabs through the whole page from the top and checks that every visible
 * link, button, input, select, textarea and tabindex=0 element receives
 * focus once, in document order, with a visible focus indicator.
 * @returns {Promise<string[]>} the focused elements, described.
 */
export async function assertTabOrder(page, label) {
  const expected = await page.evaluate(() => {
    const sel = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
    const els = [...document.querySelectorAll(sel)].filter((e) =>
      !e.disabled && e.tabIndex >= 0 && !e.closest("[inert]") && e.checkVisibility({ visibilityProperty: true }));
    document.querySelectorAll("[data-e2e-tab]").forEach((e) => delete e.dataset.e2eTab);
    return els.map((e, i) => {
      e.dataset.e2eTab = String(i);
      return e.id ? `${e.tagName.toLowerCase()}#${e.id}` : `${e.tagName.toLowerCase()}[${(e.getAttribute("aria-label") || e.textContent || e.getAttribute("href") || "").trim().slice(0, 40)}]`;
    });
  });
  assert.ok(expected.length > 0, `${label}: no focusable element at all`);
  // Start before the first control, as a keyboard user arriving does:
  // focus it, step back out of the document with Shift+Tab, then Tab in.
  // (Blurring alone would leave chromium's sequential focus navigation
  // starting point where the focus was.)
  await page.locator('[data-e2e-tab="0"]').focus();
  await page.keyboard.press("Shift+Tab");
  const seen = [];
  const unstyled = [];
  for (let i = 0; i < expected.length + 2; i++) {
    await page.keyboard.press("Tab");
    const at = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return null;
      const cs = getComputedStyle(a);
      const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== "none";
      return { idx: a.dataset.e2eTab ?? null, tag: a.tagName.toLowerCase(), id: a.id, ring };
    });
    if (at === null) {
      if (seen.length > 0) break;
      continue;
    }
    if (at.idx === "0" && seen.length > 0) break;
    seen.push(at.idx === null ? `untracked ${at.tag}#${at.id}` : expected[Number(at.idx)]);
    if (!at.ring) unstyled.push(seen[seen.length - 1]);
  }
  assert.deepEqual(seen, expected, `${label}: Tab should reach every control once, in document order`);
  assert.deepEqual(unstyled, [], `${label}: every focused control should show a focus indicator`);
  return seen;
}

/**
 * Presses Tab (from where focus is now) until the element matching selector
 * has focus: proves it is reachable by keyboard.
 */
export async function tabTo(page, selector, max = 120) {
  for (let i = 0; i < max; i++) {
    if (await page.locator(selector).evaluate((e) => e === document.activeElement).catch(() => false)) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`${selector} never received focus after ${max} presses of Tab`);
}

// ---------- one browser and one runner per test file ----------

/**
 * Sets up the file: one runner (started with options, see startRunner)
 * and one chromium for all its scenarios.
 * scenario(name, fn) runs fn({ open, env }) where open(options) gives a
 * fresh guarded context; at the end every context is closed and the
 * scenario fails if any of them recorded a problem.
 */
export function suite(options = {}) {
  const env = { base: "", browser: null, runner: null };
  before(async () => {
    env.runner = await startRunner(options);
    env.base = env.runner.base;
    env.browser = await launchBrowser();
  });
  after(async () => {
    if (env.browser) await env.browser.close();
    if (env.runner) await env.runner.stop();
  });
  function scenario(name, fn) {
    test(name, async () => {
      const guards = [];
      const open = async (options) => {
        const g = await guardedContext(env.browser, env.base, options);
        settlers.set(g.ctx, g);
        guards.push(g);
        return g;
      };
      try {
        await fn({ open, env });
      } finally {
        for (const g of guards) await g.close().catch(() => {});
      }
      assert.deepEqual(guards.flatMap((g) => g.problems), [],
        "no console error, page error, failed request, unexpected HTTP error or CSP violation");
    });
  }
  return { env, scenario };
}
