// exactly-once.test.mjs: the Idempotency-Key helper of site/js/api.js in a
// real browser, and the two panels built on it. The shop's panel sends N
// adds at once (all count) and replays the last change with its key (not
// applied twice, Idempotent-Replayed shown); a lost answer and a 503 are
// retried with the same key and counted once; the cookies page shows the
// visit count in the cookie and in the session, and editing the cookie
// changes only the first.
import assert from "node:assert/strict";
import { suite, reload, waitText, until, assertAccessible, PHONE } from "./harness.mjs";

const { scenario, env } = suite();

/** Idempotency-Key headers of the requests page sends to method path, in order. */
function recordKeys(page, method, path) {
  const keys = [];
  page.on("request", (r) => {
    if (r.method() === method && new URL(r.url()).pathname === path) keys.push(r.headers()["idempotency-key"]);
  });
  return keys;
}

/** The cart as the server holds it now, through the page's own cookies. */
async function serverCart(g) {
  return (await g.ctx.request.get("/api/cart")).json();
}

function quantity(cart, sku) {
  return cart.items.find((i) => i.sku === sku)?.quantity ?? 0;
}

const KEY = /^[A-Za-z0-9_-]{1,64}$/;

scenario("the shop's panel: N adds sent at once all count, each with its own key; the last is replayed and not applied twice", async ({ open }) => {
  const g = await open();
  const page = await g.open("/shop.html");
  await waitText(page, "#products", "Add to cart");
  assert.equal(await page.locator("#replay-send").isDisabled(), true, "nothing to replay before a change");
  const keys = recordKeys(page, "POST", "/api/cart/items");

  // No session yet: the first add goes alone and starts it, the rest at once.
  await page.selectOption("#burst-product", "tea-assam");
  await page.fill("#burst-count", "4");
  await page.click("#burst-send");
  await waitText(page, "#burst-after", "4");
  assert.match(await page.textContent("#burst-feedback"), /no session yet/);
  await g.settle(page);
  assert.equal(quantity(await serverCart(g), "tea-assam"), 4);

  // With a session: 12 at once, 12 counted.
  await page.fill("#burst-count", "12");
  await page.click("#burst-send");
  await waitText(page, "#burst-after", "16");
  assert.equal(await page.textContent("#burst-sent"), "12");
  assert.equal(await page.textContent("#burst-applied"), "12");
  assert.equal(await page.textContent("#burst-before"), "4");
  assert.equal(await page.textContent("#burst-refused"), "0");
  assert.doesNotMatch(await page.textContent("#burst-feedback"), /no session yet/);
  await g.settle(page);
  assert.equal(quantity(await serverCart(g), "tea-assam"), 16, "the server counted every add");
  await waitText(page, "#cart-count", "16 items");
  assert.equal(keys.length, 16, "one request per add");
  assert.ok(keys.every((k) => KEY.test(k)), `every add carries a valid key: ${keys}`);
  assert.equal(new Set(keys).size, 16, "a fresh key for every add");

  // Replay the last change with its key: same status, the header, no change.
  const last = (await page.textContent("#last-change-key")).replace("Idempotency-Key: ", "");
  assert.ok(keys.includes(last), "the last change shown is one of the adds");
  assert.match(await page.textContent("#last-change-request"), /^POST \/api\/cart\/items \{"sku":"tea-assam","quantity":1\}$/);
  const replayed = page.waitForResponse((r) => r.request().method() === "POST" && r.request().headers()["idempotency-key"] === last);
  await page.click("#replay-send");
  const answer = await replayed;
  assert.equal(answer.status(), 200);
  assert.equal(answer.headers()["idempotent-replayed"], "true");
  await waitText(page, "#replay-header", "true");
  assert.equal(await page.textContent("#replay-status"), "200");
  assert.equal(await page.textContent("#replay-before"), "16");
  assert.equal(await page.textContent("#replay-after"), "16");
  assert.match(await page.textContent("#replay-feedback"), /not applied twice/);
  await g.settle(page);
  assert.equal(quantity(await serverCart(g), "tea-assam"), 16, "the replay changed nothing");

  // A change of another kind is replayed the same way: emptying the cart.
  await page.click("#cart-empty");
  await waitText(page, "#cart-count", "0 items");
  await waitText(page, "#last-change-request", "DELETE /api/cart");
  await page.click("#replay-send");
  await waitText(page, "#replay-status", "204");
  assert.match(await page.textContent("#replay-feedback"), /"empty the cart" was not applied twice/);
  assert.equal(await page.textContent("#replay-header"), "true");
  await g.settle(page);
  await assertAccessible(page, "shop.html with both panels' results");
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `shop.html with results scrolls sideways by ${overflow}px on a phone`);
  await assertAccessible(page, "shop.html with results, phone width");
});

scenario("the shop's panel refuses a number outside 1-20, and adds past 99 are refused, not lost", async ({ open }) => {
  const g = await open();
  const page = await g.open("/shop.html");
  await waitText(page, "#products", "Add to cart");
  await page.fill("#burst-count", "21");
  await page.click("#burst-send");
  await waitText(page, "#burst-feedback", "from 1 to 20");
  assert.equal(await page.getAttribute("#burst-feedback", "data-state"), "error");

  // 95 of a line, then 8 at once: 4 fit under 99, 4 are refused.
  g.allowHTTPError(400, "/api/cart/items");
  assert.equal((await g.ctx.request.post("/api/cart/items", { data: { sku: "mug-stoneware", quantity: 95 } })).status(), 200);
  await page.selectOption("#burst-product", "mug-stoneware");
  await page.fill("#burst-count", "8");
  await page.click("#burst-send");
  await waitText(page, "#burst-after", "99");
  assert.equal(await page.textContent("#burst-applied"), "4");
  assert.equal(await page.textContent("#burst-refused"), "4 (invalid_quantity)");
  assert.equal(await page.getAttribute("#burst-feedback", "data-state"), "info");
  await g.settle(page);
  assert.equal(quantity(await serverCart(g), "mug-stoneware"), 99);
});

scenario("a lost answer is sent again with the same key, and the server applies it once", async ({ open }) => {
  const g = await open();
  const page = await g.open("/shop.html");
  await waitText(page, "#products", "Add to cart");
  await page.click("#add-tea-sencha");
  await waitText(page, "#cart-count", "1 item");
  await g.settle(page);

  // The next add reaches the server, which applies it; its answer is lost.
  g.allowFailedRequest("/api/cart/items");
  const keys = recordKeys(page, "POST", "/api/cart/items");
  let lost = 0;
  await page.route("**/api/cart/items", async (route) => {
    if (lost++ === 0) {
      const applied = await route.fetch();
      assert.equal(applied.status(), 200, "the first try was applied");
      await route.abort("failed");
      return;
    }
    await route.continue();
  });
  await page.click("#add-tea-sencha");
  await waitText(page, "#catalogue-feedback", "Sent twice");
  await waitText(page, "#cart-count", "2 items");
  await g.settle(page);
  assert.equal(keys.length, 2, "sent twice");
  assert.equal(keys[0], keys[1], "with the same key");
  assert.equal(quantity(await serverCart(g), "tea-sencha"), 2, "applied once: 1 + 1, not 1 + 2");
});

scenario("a 503 is retried with the same key after Retry-After, and counted once", async ({ open }) => {
  const g = await open();
  const page = await g.open("/shop.html");
  await waitText(page, "#products", "Add to cart");
  g.allowHTTPError(503, "/api/cart/items");
  const keys = recordKeys(page, "POST", "/api/cart/items");
  const sent = [];
  await page.route("**/api/cart/items", async (route) => {
    sent.push(Date.now());
    if (sent.length === 1) {
      await route.fulfill({
        status: 503,
        headers: { "Content-Type": "application/json", "Retry-After": "1" },
        body: JSON.stringify({ error: { code: "store_unavailable", message: "The session store did not answer." } }),
      });
      return;
    }
    await route.continue();
  });
  await page.click("#add-honey-acacia");
  await waitText(page, "#cart-count", "1 item");
  await g.settle(page);
  assert.equal(keys.length, 2, "sent twice");
  assert.equal(keys[0], keys[1], "with the same key");
  assert.ok(sent[1] - sent[0] >= 950, `waited Retry-After (1 s) before the retry: ${sent[1] - sent[0]} ms`);
  assert.doesNotMatch(await page.textContent("#catalogue-feedback"), /Sent twice/, "the first try never reached the server");
  assert.equal(quantity(await serverCart(g), "honey-acacia"), 1);
});

scenario("the cookies page: the same count in the cookie and on the server; editing the cookie changes only the first", async ({ open }) => {
  const g = await open();
  const page = await g.open("/cookies.html");
  const keys = recordKeys(page, "POST", "/api/session/visits");
  await waitText(page, "#visits-count", "1");
  await waitText(page, "#server-visits-count", "1");
  await reload(page);
  await waitText(page, "#visits-count", "2");
  await waitText(page, "#server-visits-count", "2");
  await page.click("#visits-add");
  await waitText(page, "#visits-feedback", "the count in your session 3");
  assert.equal(await page.textContent("#visits-count"), "3");
  assert.equal(keys.length, 2, "a load and a click after the listener: one request each");
  assert.ok(keys.every((k) => KEY.test(k)) && keys[0] !== keys[1], `a fresh key per action: ${keys}`);

  // Forge the cookie in the page: the cookie believes it, the session does not.
  await page.fill("#visits-forge-value", "1000");
  await page.click("#visits-forge");
  await waitText(page, "#visits-count", "1001");
  await waitText(page, "#server-visits-count", "4");
  assert.match(await page.textContent("#visits-feedback"), /in your session, which no page can write, says 4/);

  // Edit it as in the developer tools, then reload.
  await g.ctx.addCookies([{ name: "visits", value: "7", url: env.base }]);
  await reload(page);
  await waitText(page, "#visits-count", "8");
  await waitText(page, "#server-visits-count", "5");
  const server = await (await g.ctx.request.get("/api/session/visits")).json();
  assert.equal(server.visits, 5, "the server's own count");

  // The server counter goes through the same helper: a lost answer is
  // retried with its key and counted once.
  g.allowFailedRequest("/api/session/visits");
  let lost = 0;
  await page.route("**/api/session/visits", async (route) => {
    if (route.request().method() === "POST" && lost++ === 0) {
      await route.fetch();
      await route.abort("failed");
      return;
    }
    await route.continue();
  });
  await page.click("#visits-add");
  await waitText(page, "#visits-feedback", "the count in your session 6");
  await g.settle(page);
  assert.equal((await (await g.ctx.request.get("/api/session/visits")).json()).visits, 6, "applied once");
  assert.equal(keys.at(-1), keys.at(-2), "the retry carried the same key");
  await until(() => page.textContent("#server-visits-count"), (t) => t === "6", "the page shows 6");
  await assertAccessible(page, "cookies.html with both counters");
});
