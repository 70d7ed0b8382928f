// cookies.test.mjs: the cookie demos of cookies.html in a real browser:
// preferences, HttpOnly, the inspector and the signed-session tamper demo.
// Each scenario checks what the page shows and what the cookie jar holds.
import assert from "node:assert/strict";
import { suite, goto, reload, waitText, waitAttr, until, assertAccessible } from "./harness.mjs";

const { scenario } = suite();

const DAY = 86_400;

/** The root element's theme and language, as the page applied them. */
function applied(page) {
  return page.evaluate(() => ({ theme: document.documentElement.dataset.theme, lang: document.documentElement.lang }));
}

/** The page's background colour (proves the CSS followed data-theme). */
function background(page) {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

scenario("a saved theme applies before the first paint, on every page (no flash of the light theme)", async ({ open, env }) => {
  const g = await open();
  await g.ctx.addCookies([{ name: "theme", value: "dark", url: env.base }]);
  // Record data-theme as soon as <body> exists: the parser is still at work
  // and no module script (theme.js) has run yet, so only a classic script in
  // <head> can have set it.
  await g.ctx.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (!document.body) return;
      window.__themeAtBody = document.documentElement.dataset.theme;
      obs.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  for (const path of ["/index.html", "/cookies.html", "/account.html", "/shop.html"]) {
    const page = await g.open(path);
    assert.equal(await page.evaluate(() => window.__themeAtBody), "dark", `${path}: theme when <body> was parsed`);
    assert.equal((await applied(page)).theme, "dark", `${path}: theme once loaded`);
    await page.close();
  }
});

scenario("theme and language apply at once, survive a reload and a new page, and are gone after reset", async ({ open }) => {
  const g = await open();
  const page = await g.open("/cookies.html");
  assert.deepEqual(await applied(page), { theme: "light", lang: "en" });
  const lightBg = await background(page);
  let jar = await g.jar();
  assert.equal(jar.theme, undefined, "no theme cookie before a choice");

  await page.selectOption("#theme-select", "dark");
  await waitAttr(page, "html", "data-theme", "dark");
  await page.selectOption("#language-select", "fr");
  await waitAttr(page, "html", "lang", "fr");
  await g.settle(page);
  assert.notEqual(await background(page), lightBg, "the dark theme changes the background at once");
  await waitText(page, "#greeting", "Bonjour");
  assert.equal(await page.textContent("#nav-home"), "Accueil");
  await waitText(page, "#prefs-cookie-view", "theme=dark");

  jar = await g.jar();
  assert.equal(jar.theme?.value, "dark");
  assert.equal(jar.language?.value, "fr");
  for (const name of ["theme", "language"]) {
    assert.equal(jar[name].httpOnly, false, `${name} is readable by the page`);
    const days = (jar[name].expires - Date.now() / 1000) / DAY;
    assert.ok(days > 364 && days <= 365.01, `${name} kept for 365 days, got ${days.toFixed(2)}`);
  }

  await reload(page);
  assert.deepEqual(await applied(page), { theme: "dark", lang: "fr" }, "after a reload");
  assert.equal(await page.inputValue("#theme-select"), "dark");
  assert.equal(await page.inputValue("#language-select"), "fr");

  const other = await g.open("/index.html");
  assert.deepEqual(await applied(other), { theme: "dark", lang: "fr" }, "on a new page");
  assert.equal(await other.textContent("#nav-shop"), "Boutique");
  await other.close();

  await page.click("#prefs-reset");
  await waitAttr(page, "html", "data-theme", "light");
  await waitAttr(page, "html", "lang", "en");
  await waitText(page, "#prefs-feedback", "Max-Age=0");
  await g.settle(page);
  assert.equal(await background(page), lightBg);
  jar = await g.jar();
  assert.equal(jar.theme, undefined, "theme cookie gone after reset");
  assert.equal(jar.language, undefined, "language cookie gone after reset");
  await reload(page);
  assert.deepEqual(await applied(page), { theme: "light", lang: "en" }, "defaults after reset and reload");
});

scenario("a shorter lifetime is honoured and 'system' follows the OS colour scheme", async ({ open }) => {
  const g = await open({ colorScheme: "dark" });
  const page = await g.open("/cookies.html");
  const lightBg = await background(page);
  await page.fill("#prefs-max-age", "2");
  await page.selectOption("#theme-select", "system");
  await waitAttr(page, "html", "data-theme", "system");
  await g.settle(page);
  assert.notEqual(await background(page), lightBg, "system + a dark OS gives the dark colours");
  const { theme } = await g.jar();
  assert.equal(theme?.value, "system");
  const days = (theme.expires - Date.now() / 1000) / DAY;
  assert.ok(days > 1.99 && days <= 2.01, `kept for 2 days, got ${days.toFixed(3)}`);
});

scenario("the session cookie is HttpOnly (absent from document.cookie) while theme is not", async ({ open }) => {
  const g = await open();
  const shop = await g.open("/shop.html");
  await shop.click("#products button >> nth=0");
  await waitText(shop, "#cart-count", "1 item");
  const page = await g.open("/cookies.html");
  await page.selectOption("#theme-select", "dark");
  await waitAttr(page, "html", "data-theme", "dark");
  await g.settle(page);

  const jar = await g.jar();
  assert.ok(jar.session, "the cart started a session");
  assert.equal(jar.session.httpOnly, true);
  assert.equal(jar.session.expires, -1, "no Max-Age: a browser-session cookie");
  assert.equal(jar.theme.httpOnly, false);
  assert.equal(jar.visits?.httpOnly, false);

  const docCookie = await page.evaluate(() => document.cookie);
  assert.match(docCookie, /(^|; )theme=dark(;|$)/);
  assert.doesNotMatch(docCookie, /(^|; )session=/, "document.cookie never shows the session cookie");
  assert.ok(!docCookie.includes(jar.session.value), "nor its value");

  // The page tells the learner the same: an HttpOnly badge on the server side only.
  await page.click("#inspector-refresh");
  await waitText(page, "#inspector-feedback", "up to date");
  assert.match(await page.textContent('#server-cookies-body tr[data-name="session"] th'), /HttpOnly/);
  assert.doesNotMatch(await page.textContent('#server-cookies-body tr[data-name="theme"] th'), /HttpOnly/);
  assert.doesNotMatch(await page.textContent("#js-cookies-body"), /\bsession\b/);
});

scenario("the cookie inspector lists what the browser sent", async ({ open }) => {
  const g = await open();
  const shop = await g.open("/shop.html");
  await shop.click("#products button >> nth=0");
  await waitText(shop, "#cart-count", "1 item");
  await shop.close();
  const page = await g.open("/cookies.html");

  // A plain cookie and an HttpOnly one, both set through the page's form.
  await page.fill("#cookie-name", "flavour");
  await page.fill("#cookie-value", "oatmeal");
  await page.fill("#cookie-max-age", "600");
  const asked = Date.now() / 1000;
  await page.click("#cookie-set");
  await waitText(page, "#inspector-feedback", "Set flavour");
  const answered = Date.now() / 1000;
  await page.fill("#cookie-name", "hidden_one");
  await page.fill("#cookie-value", "s3cret");
  await page.fill("#cookie-max-age", "");
  await page.check("#cookie-httponly");
  await page.click("#cookie-set");
  await waitText(page, "#inspector-feedback", "Set hidden_one");
  await g.settle(page);

  const jar = await g.jar();
  assert.equal(jar.flavour?.value, "oatmeal");
  assert.equal(jar.flavour.httpOnly, false);
  assert.ok(jar.flavour.expires >= Math.floor(asked) + 599 && jar.flavour.expires <= answered + 601,
    `Max-Age=600: expires ${jar.flavour.expires}, asked at ${asked}, answered by ${answered}`);
  assert.equal(jar.hidden_one?.httpOnly, true);
  assert.equal(jar.hidden_one.expires, -1);

  const rows = await page.$$eval("#server-cookies-body tr[data-name]", (trs) => trs.map((tr) => ({
    name: tr.dataset.name,
    value: tr.querySelector("td.value").textContent,
    bytes: Number(tr.querySelector("td.num").textContent),
    httpOnly: /HttpOnly/.test(tr.querySelector("th").textContent),
  })));
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  assert.deepEqual(Object.keys(byName).sort(), Object.keys(jar).sort(), "the server received exactly the jar's cookies");
  for (const c of Object.values(jar)) {
    const row = byName[c.name];
    assert.equal(row.httpOnly, c.httpOnly, `${c.name}: HttpOnly badge`);
    assert.equal(row.bytes, c.name.length + c.value.length, `${c.name}: bytes`);
    if (c.name === "session") assert.equal(row.value, "redacted", "the session value never reaches the page");
    else assert.equal(row.value, c.value, `${c.name}: value`);
  }
  const headerBytes = Object.values(jar).reduce((n, c) => n + c.name.length + 1 + c.value.length, 0) + 2 * (rows.length - 1);
  assert.equal(await page.textContent("#server-header-bytes"), `${headerBytes} bytes`);
  assert.ok(!(await page.content()).includes(jar.session.value), "the session ID appears nowhere in the page");
  assert.match(await page.textContent("#httponly-names"), /hidden_one/);

  // Delete the plain one with its own button.
  await page.click("#delete-flavour");
  await waitText(page, "#inspector-feedback", "Deleted flavour");
  await g.settle(page);
  assert.equal((await g.jar()).flavour, undefined);
  assert.equal(await page.locator('#server-cookies-body tr[data-name="flavour"]').count(), 0);

  // A refusal from the API is shown, and the page stays accessible with it.
  g.allowHTTPError(403, "/api/cookies/visits");
  await page.fill("#cookie-name", "visits");
  await page.fill("#cookie-value", "1");
  await page.click("#cookie-set");
  await waitAttr(page, "#inspector-feedback", "data-code", "reserved_cookie");
  await assertAccessible(page, "cookies.html with an error shown");
});

scenario("the signed-session demo: tamper shows the refusal and the cookie is gone", async ({ open }) => {
  const g = await open();
  g.allowHTTPError(400, "/api/signed-session");
  const page = await g.open("/cookies.html");
  assert.equal(await page.textContent("#signed-raw"), "(no cookie)");

  await page.fill("#signed-value", "alice");
  await page.click("#signed-save");
  await waitText(page, "#signed-feedback", "Saved username");
  const raw = await page.textContent("#signed-raw");
  assert.match(await page.textContent("#signed-readable"), /alice/, "readable without a key");
  assert.equal(await page.textContent('#signed-data-body th[scope="row"]'), "username");
  let jar = await g.jar();
  assert.equal(jar.signed_session?.value, raw, "the page shows the very cookie the browser holds");
  assert.equal(jar.signed_session.httpOnly, true);
  assert.ok(!(await page.evaluate(() => document.cookie)).includes("signed_session"));

  await page.click("#tamper-flip");
  await waitText(page, "#tamper-feedback", "Changed one character");
  const forged = await page.inputValue("#tamper-value");
  assert.notEqual(forged, raw);
  assert.equal(forged.length, raw.length);
  await page.click("#tamper-send");
  await waitAttr(page, "#tamper-feedback", "data-code", "tampered_cookie");
  await waitText(page, "#tamper-steps", "no signed cookie is left");
  assert.equal(await page.getAttribute("#tamper-feedback", "data-state"), "ok");
  assert.match(await page.textContent("#tamper-steps"), /400 tampered_cookie/);
  await g.settle(page);

  const all = await g.allCookies();
  assert.deepEqual(all.filter((c) => c.name === "signed_session"), [], "neither the real cookie nor the forged copy is left");
  assert.equal(await page.textContent("#signed-raw"), "(no cookie)");
  await assertAccessible(page, "cookies.html after the tamper demo");

  // Reloading shows a clean state: no error, no data.
  await reload(page);
  await until(() => page.textContent("#signed-raw"), (t) => t === "(no cookie)", "still no signed cookie after reload");
  jar = await g.jar();
  assert.equal(jar.signed_session, undefined);
});

scenario("the visit counter counts each load and believes a forged value", async ({ open }) => {
  const g = await open();
  const page = await g.open("/cookies.html");
  await waitText(page, "#visits-count", "1");
  await reload(page);
  await waitText(page, "#visits-count", "2");
  assert.equal((await g.jar()).visits?.value, "2");
  await page.fill("#visits-forge-value", "1000");
  await page.click("#visits-forge");
  await waitText(page, "#visits-count", "1001");
  await g.settle(page);
  assert.equal((await g.jar()).visits?.value, "1001");
});
