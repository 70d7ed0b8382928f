// secure-names.test.mjs: the site against an API running with
// COOKIE_SECURE=true, as in AWS: every cookie is Secure and named with the
// __Host- prefix (__Host-theme, __Host-language, __Host-visits,
// __Host-signed_session, __Host-session), and the pages read whichever name
// the browser holds. chromium keeps Secure cookies on http://127.0.0.1 (a
// secure context), so this runs on the local runner.
import assert from "node:assert/strict";
import { suite, reload, waitText, waitAttr, until, assertAccessible } from "./harness.mjs";

const { scenario } = suite({ secure: true });

/** The root element's theme and language, as the page applied them. */
function applied(page) {
  return page.evaluate(() => ({ theme: document.documentElement.dataset.theme, lang: document.documentElement.lang }));
}

/** Checks what makes a __Host- cookie: Secure, Path=/, host-only (no Domain). */
function assertHostCookie(c, name) {
  assert.ok(c, `${name} is in the jar`);
  assert.equal(c.secure, true, `${name} is Secure`);
  assert.equal(c.path, "/", `${name} has Path=/`);
  assert.equal(c.domain, "127.0.0.1", `${name} is host-only`);
}

scenario("secure names: preferences are __Host-theme and __Host-language, and every page applies them", async ({ open }) => {
  const g = await open();
  const page = await g.open("/cookies.html");
  await page.selectOption("#theme-select", "dark");
  await waitAttr(page, "html", "data-theme", "dark");
  await page.selectOption("#language-select", "de");
  await waitAttr(page, "html", "lang", "de");
  await g.settle(page);
  await waitText(page, "#prefs-cookie-view", "__Host-theme=dark");

  const jar = await g.jar();
  assertHostCookie(jar["__Host-theme"], "__Host-theme");
  assertHostCookie(jar["__Host-language"], "__Host-language");
  assert.equal(jar.theme, undefined, "no plain theme cookie");
  assert.equal(jar.language, undefined, "no plain language cookie");

  await reload(page);
  assert.deepEqual(await applied(page), { theme: "dark", lang: "de" }, "after a reload");
  assert.equal(await page.inputValue("#theme-select"), "dark");
  const other = await g.open("/shop.html");
  assert.deepEqual(await applied(other), { theme: "dark", lang: "de" }, "on another page");
  await other.close();

  await page.click("#prefs-reset");
  await waitAttr(page, "html", "data-theme", "light");
  await g.settle(page);
  const after = await g.jar();
  assert.equal(after["__Host-theme"], undefined, "reset removes __Host-theme");
  assert.equal(after["__Host-language"], undefined, "reset removes __Host-language");
});

scenario("secure names: __Host-theme applies before the first paint, and wins over a plain theme", async ({ open, env }) => {
  const g = await open();
  // The API sets __Host-theme (the DevTools protocol refuses to plant a
  // host-only __Host- cookie); a plain theme cookie, which the API no longer
  // reads, lies beside it.
  const first = await g.open("/cookies.html");
  await first.selectOption("#theme-select", "dark");
  await waitAttr(first, "html", "data-theme", "dark");
  await g.settle(first);
  await first.close();
  await g.ctx.addCookies([{ name: "theme", value: "light", url: env.base }]);
  assert.equal((await g.jar())["__Host-theme"]?.value, "dark");
  await g.ctx.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (!document.body) return;
      window.__themeAtBody = document.documentElement.dataset.theme;
      obs.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  for (const path of ["/index.html", "/cookies.html"]) {
    const page = await g.open(path);
    assert.equal(await page.evaluate(() => window.__themeAtBody), "dark", `${path}: theme when <body> was parsed`);
    assert.equal((await applied(page)).theme, "dark", `${path}: theme once loaded`);
    await page.close();
  }
});

scenario("secure names: the visit counter is __Host-visits and believes a forged value written under that name", async ({ open }) => {
  const g = await open();
  const page = await g.open("/cookies.html");
  await waitText(page, "#visits-count", "1");
  assertHostCookie((await g.jar())["__Host-visits"], "__Host-visits");
  await page.fill("#visits-forge-value", "1000");
  await page.click("#visits-forge");
  await waitText(page, "#visits-count", "1001");
  await g.settle(page);
  const jar = await g.jar();
  assert.equal(jar["__Host-visits"]?.value, "1001");
  assert.equal(jar.visits, undefined, "the page wrote no plain visits cookie");
});

scenario("secure names: the session and signed cookies are __Host-, HttpOnly, and reserved in both forms", async ({ open }) => {
  const g = await open();
  g.allowHTTPError(403, "/api/cookies/__Host-theme");
  const shop = await g.open("/shop.html");
  await shop.click("#products button >> nth=0");
  await waitText(shop, "#cart-count", "1 item");
  const page = await g.open("/cookies.html");
  await page.fill("#signed-value", "alice");
  await page.click("#signed-save");
  await waitText(page, "#signed-feedback", "Saved username");
  await g.settle(page);

  const jar = await g.jar();
  for (const name of ["__Host-session", "__Host-signed_session"]) {
    assertHostCookie(jar[name], name);
    assert.equal(jar[name].httpOnly, true, `${name} is HttpOnly`);
  }
  assert.equal(jar.session, undefined);
  assert.equal(jar.signed_session, undefined);
  assert.equal(jar["__Host-signed_session"].value, await page.textContent("#signed-raw"));

  await page.click("#inspector-refresh");
  await waitText(page, "#inspector-feedback", "up to date");
  assert.match(await page.textContent('#server-cookies-body tr[data-name="__Host-session"] th'), /HttpOnly/);
  assert.match(await page.textContent('#server-cookies-body tr[data-name="__Host-session"]'), /redacted/);
  assert.equal(await page.locator('#server-cookies-body tr[data-name="__Host-visits"] button').count(), 0,
    "no Delete button for a cookie the API manages");

  await page.fill("#cookie-name", "__Host-theme");
  await page.fill("#cookie-value", "dark");
  await page.click("#cookie-set");
  await waitAttr(page, "#inspector-feedback", "data-code", "reserved_cookie");
  await assertAccessible(page, "cookies.html with secure names");
});

scenario("secure names: the tamper demo refuses a forged __Host-signed_session and leaves no cookie", async ({ open }) => {
  const g = await open();
  g.allowHTTPError(400, "/api/signed-session");
  const page = await g.open("/cookies.html");
  await page.fill("#signed-value", "alice");
  await page.click("#signed-save");
  await waitText(page, "#signed-feedback", "Saved username");
  const raw = await page.textContent("#signed-raw");

  await page.click("#tamper-flip");
  await waitText(page, "#tamper-feedback", "Changed one character");
  assert.notEqual(await page.inputValue("#tamper-value"), raw);
  await page.click("#tamper-send");
  await waitAttr(page, "#tamper-feedback", "data-code", "tampered_cookie");
  await waitText(page, "#tamper-steps", "no signed cookie is left");
  assert.equal(await page.getAttribute("#tamper-feedback", "data-state"), "ok");
  assert.match(await page.textContent("#tamper-steps"), /__Host-signed_session/);
  await g.settle(page);

  const left = (await g.allCookies()).filter((c) => c.name.endsWith("signed_session"));
  assert.deepEqual(left, [], "neither the real cookie nor the forged copy is left");
  await reload(page);
  await until(() => page.textContent("#signed-raw"), (t) => t === "(no cookie)", "still no signed cookie after reload");
});
