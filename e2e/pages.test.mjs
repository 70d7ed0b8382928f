// pages.test.mjs: every page as a whole. Security headers and the CSP in
// force; axe-core on each page in light and dark theme and at phone width;
// and the screenshots of docs/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  suite, waitText, waitAttr, until, uniqueName, assertAccessible, PAGES, PHONE, ROOT,
} from "./harness.mjs";

const { scenario, env } = suite();

const SHOTS = join(ROOT, "docs", "screenshots");
const PASSWORD = "correct horse battery";

// ---------- headers ----------

/** Checks the site's headers on one response. */
function assertSiteHeaders(path, h) {
  const csp = h["content-security-policy"] || "";
  assert.ok(csp, `${path}: a Content-Security-Policy`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${path}: CSP without unsafe-inline, unsafe-eval or wildcards`);
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(csp.split(";").map((s) => s.trim()).includes(d), `${path}: CSP has ${d}`);
  }
  assert.equal(h["x-content-type-options"], "nosniff", `${path}: nosniff`);
  assert.match(h["referrer-policy"] || "", /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/, `${path}: Referrer-Policy`);
}

scenario("security headers on every page, asset and API response", async ({ open }) => {
  const g = await open();
  const req = g.ctx.request;
  const assets = ["/", ...PAGES.map((p) => `/${p}.html`), "/css/site.css", "/favicon.svg",
    ...["api", "theme", "ui", "cookies", "account", "shop"].map((m) => `/js/${m}.js`)];
  for (const path of assets) {
    const res = await req.get(path);
    assert.equal(res.status(), 200, path);
    assertSiteHeaders(path, res.headers());
  }
  const user = uniqueName("hdr");
  const reg = await req.post("/api/register", { data: { username: user, password: PASSWORD } });
  assert.equal(reg.status(), 201);
  await req.post("/api/cart/items", { data: { sku: (await (await req.get("/api/products")).json()).products[0].sku, quantity: 1 } });
  const calls = [
    ["GET", "/api/session"], ["GET", "/api/sessions"], ["GET", "/api/cart"], ["GET", "/api/cookies"],
    ["GET", "/api/preferences"], ["GET", "/api/signed-session"], ["GET", "/api/products"],
    ["POST", "/api/visits"], ["GET", "/api/session/visits"], ["POST", "/api/session/visits"],
    ["POST", "/api/login", { username: user, password: PASSWORD }],
  ];
  for (const [method, path, data] of calls) {
    const res = await req.fetch(path, { method, data });
    const h = res.headers();
    const what = `${method} ${path} (${res.status()})`;
    assert.equal(h["cache-control"], "no-store", `${what}: Cache-Control: no-store`);
    assert.equal(h["x-content-type-options"], "nosniff", `${what}: nosniff`);
    assert.ok(h["referrer-policy"], `${what}: Referrer-Policy`);
    assert.match(h["content-security-policy"] || "", /frame-ancestors 'none'/, `${what}: frame-ancestors 'none'`);
  }
});

scenario("the CSP is enforced: an inline script is blocked and reported (the detector works)", async ({ open }) => {
  const g = await open();
  const page = await g.open("/index.html");
  const ran = await page.evaluate(() => new Promise((resolve) => {
    window.__inlineRan = false;
    const s = document.createElement("script");
    s.textContent = "window.__inlineRan = true";
    document.head.append(s);
    setTimeout(() => resolve(window.__inlineRan), 100);
  }));
  assert.equal(ran, false, "the inline script did not run");
  await until(async () => g.problems.length, (n) => n > 0, "the violation is reported");
  assert.ok(g.problems.some((p) => /CSP violation .*script-src/.test(p)), `reported: ${g.problems.join("\n")}`);
  g.problems.length = 0; // expected here; every other scenario fails on one
});

scenario("axe-core runs under the CSP and catches a real violation (the checker works)", async ({ open }) => {
  const g = await open();
  const page = await g.open("/shop.html");
  await assertAccessible(page, "shop.html as served");
  await page.evaluate(() => {
    const b = document.createElement("button");
    b.id = "nameless";
    document.querySelector("main").append(b);
  });
  await assert.rejects(assertAccessible(page, "shop.html with a nameless button"), /button-name/);
});

scenario("frame-ancestors 'none': another page cannot frame the site", async () => {
  const ctx = await env.browser.newContext();
  try {
    const page = await ctx.newPage();
    const messages = [];
    page.on("console", (m) => messages.push(m.text()));
    await page.setContent(`<iframe id="f" src="${env.base}/account.html"></iframe>`);
    await until(async () => messages.join("\n"), (t) => /frame-ancestors/.test(t), "chromium refuses to frame the page");
    const framed = page.frames().find((f) => f !== page.mainFrame());
    const hasSite = framed ? await framed.evaluate(() => Boolean(document.querySelector(".brand"))).catch(() => false) : false;
    assert.equal(hasSite, false, "the framed document is not the site");
  } finally {
    await ctx.close();
  }
});

// ---------- a populated state for each page, then axe and screenshots ----------

/** Puts the context into a state where the page has something to show. */
async function populate(g, name, other) {
  const req = g.ctx.request;
  if (name === "cookies") {
    await req.put("/api/signed-session", { data: { data: { username: "alice", cart_hint: "3 items" } } });
    await req.put("/api/cookies/flavour", { data: { value: "oatmeal", maxAgeSeconds: 3600 } });
    // Two visits on the server, and a visits cookie someone edited.
    await req.post("/api/session/visits");
    await req.post("/api/session/visits");
    await g.ctx.addCookies([{ name: "visits", value: "41", url: env.base }]);
  }
  if (name === "account") {
    const user = uniqueName("shots");
    assert.equal((await req.post("/api/register", { data: { username: user, password: PASSWORD } })).status(), 201);
    const login = await other.ctx.request.post("/api/login", { data: { username: user, password: PASSWORD } });
    assert.equal(login.status(), 200);
  }
  if (name === "shop") {
    const { products } = await (await req.get("/api/products")).json();
    await req.post("/api/cart/items", { data: { sku: products[0].sku, quantity: 2 } });
    await req.post("/api/cart/items", { data: { sku: products[2 % products.length].sku, quantity: 1 } });
  }
}

/** Waits for what each page loads after its HTML, so the shot is complete. */
async function ready(page, name) {
  if (name === "cookies") {
    await waitText(page, "#signed-raw", /^[\w=|-]{40,}$/);
    await waitText(page, "#server-header-bytes", /bytes/);
  }
  if (name === "account") await waitText(page, "#sessions-list", "This device");
  if (name === "shop") await waitText(page, "#cart-count", /[1-9]/);
}

/** Uses a page's demos, so the shot shows their results too. */
async function play(page, name) {
  if (name === "cookies") await waitText(page, "#server-visits-count", "3");
  if (name === "shop") {
    await page.fill("#burst-count", "5");
    await page.click("#burst-send");
    await waitText(page, "#burst-after", /\d/);
    await page.click("#replay-send");
    await waitText(page, "#replay-header", "true");
  }
}

/** A full-page screenshot without focus ring, caret or animation. */
async function shoot(page, file) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(SHOTS, file), fullPage: true, animations: "disabled", caret: "hide" });
}

const FIREFOX_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0";

for (const name of PAGES) {
  scenario(`${name}.html: no serious axe violation in light and dark theme; screenshots`, async ({ open }) => {
    mkdirSync(SHOTS, { recursive: true });
    for (const theme of ["light", "dark"]) {
      const g = await open();
      await g.ctx.addCookies([{ name: "theme", value: theme, url: env.base }]);
      await populate(g, name, name === "account" ? await open({ userAgent: FIREFOX_UA }) : null);
      const page = await g.open(`/${name}.html`);
      await waitAttr(page, "html", "data-theme", theme);
      await ready(page, name);
      await play(page, name);
      await g.settle(page);
      await assertAccessible(page, `${name}.html (${theme})`);
      await shoot(page, `${name}-${theme}.png`);
      if (theme === "light") {
        await page.setViewportSize(PHONE);
        await assertAccessible(page, `${name}.html (phone width)`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${name}.html scrolls sideways by ${overflow}px at ${PHONE.width}px wide`);
        await shoot(page, `${name}-phone.png`);
      }
    }
  });
}
