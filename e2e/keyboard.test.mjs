// keyboard.test.mjs: every control of every page reachable by Tab, in
// document order, with a visible focus indicator; and on each page a form
// submitted and buttons pressed with the keyboard alone.
import assert from "node:assert/strict";
import { suite, goto, waitText, waitAttr, until, uniqueName, assertTabOrder, tabTo } from "./harness.mjs";

const { scenario } = suite();

const PASSWORD = "correct horse battery";

scenario("keyboard: index.html (skip link, every link in order, Enter follows a link)", async ({ open }) => {
  const g = await open();
  const page = await g.open("/index.html");
  await assertTabOrder(page, "index.html");
  await goto(page, "/index.html");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link", "Tab first reaches the skip link");
  const box = await page.locator(".skip-link").boundingBox();
  assert.ok(box && box.y >= 0, "the skip link is on screen when focused");
  await page.keyboard.press("Enter");
  await until(() => page.evaluate(() => document.activeElement.id), (id) => id === "main", "Enter on the skip link moves focus to main");
  await tabTo(page, "#go-account");
  await page.keyboard.press("Enter");
  await page.waitForURL(/account\.html$/);
  await g.settle(page);
});

scenario("keyboard: cookies.html (selects, buttons, forms, the tamper demo)", async ({ open }) => {
  const g = await open();
  g.allowHTTPError(400, "/api/signed-session");
  const page = await g.open("/cookies.html");
  await assertTabOrder(page, "cookies.html");

  await tabTo(page, "#theme-select");
  await page.keyboard.press("ArrowDown");
  await waitAttr(page, "html", "data-theme", "dark");
  await tabTo(page, "#visits-add");
  const before = Number(await page.textContent("#visits-count"));
  await page.keyboard.press("Space");
  await waitText(page, "#visits-count", String(before + 1));

  await tabTo(page, "#cookie-name");
  await page.keyboard.type("kbd");
  await page.keyboard.press("Tab");
  await page.keyboard.type("typed");
  await page.keyboard.press("Enter");
  await waitText(page, "#inspector-feedback", "Set kbd");

  await tabTo(page, "#signed-save");
  await page.keyboard.press("Enter");
  await waitText(page, "#signed-feedback", "Saved username");
  await tabTo(page, "#tamper-flip");
  await page.keyboard.press("Enter");
  await tabTo(page, "#tamper-send");
  await page.keyboard.press("Space");
  await waitAttr(page, "#tamper-feedback", "data-code", "tampered_cookie");
  await g.settle(page);
  // With data, a cookie and a refusal on the page, every control is still in order.
  await assertTabOrder(page, "cookies.html after use");
  const jar = await g.jar();
  assert.equal(jar.theme?.value, "dark");
  assert.equal(jar.kbd?.value, "typed");
  assert.equal(jar.signed_session, undefined);
});

scenario("keyboard: account.html (register, log out, log in with remember me, revoke)", async ({ open }) => {
  const g = await open();
  const page = await g.open("/account.html");
  await waitText(page, "#whoami-status", "no session");
  await assertTabOrder(page, "account.html logged out");
  const user = uniqueName("kbd");

  await tabTo(page, "#register-username");
  await page.keyboard.type(user);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await waitAttr(page, "body", "data-authenticated", "true");
  await waitText(page, "#sessions-list", "This device");
  assert.equal(await page.evaluate(() => document.activeElement.id), "whoami-title", "focus moves to the status, not lost");
  await g.settle(page);
  await assertTabOrder(page, "account.html logged in");

  await tabTo(page, "#logout");
  await page.keyboard.press("Space");
  await waitAttr(page, "body", "data-authenticated", "false");
  assert.equal(await page.evaluate(() => document.activeElement.id), "whoami-title");

  await tabTo(page, "#login-username");
  await page.keyboard.type(user);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Space");
  assert.equal(await page.isChecked("#login-remember"), true, "Space ticks remember me");
  await tabTo(page, "#login-submit");
  await page.keyboard.press("Enter");
  await waitAttr(page, "body", "data-authenticated", "true");
  await g.settle(page);
  const jar = await g.jar();
  assert.ok(jar.session && jar.session.expires > Date.now() / 1000 + 86_400, "remember me, ticked by keyboard, gave the cookie an expiry");

  const own = await page.getAttribute("#sessions-list > li", "data-session-id");
  await tabTo(page, `#revoke-${own}`);
  await page.keyboard.press("Enter");
  await waitAttr(page, "body", "data-authenticated", "false");
  await g.settle(page);
  assert.equal((await g.jar()).session, undefined);
});

scenario("keyboard: shop.html (add, change a quantity, remove, empty)", async ({ open }) => {
  const g = await open();
  const page = await g.open("/shop.html");
  await waitText(page, "#products", "Add to cart");
  await assertTabOrder(page, "shop.html empty cart");
  const skus = await page.$$eval("#products > li[data-sku]", (lis) => lis.map((li) => li.dataset.sku));

  await tabTo(page, `#add-${skus[0]}`);
  await page.keyboard.press("Enter");
  await waitText(page, "#cart-count", "1 item");
  await tabTo(page, `#add-${skus[1]}`);
  await page.keyboard.press("Space");
  await waitText(page, "#cart-count", "2 items");
  // Each add also asks who you are and redraws that line (with its "Log in"
  // link): wait for that request too, or the walk may meet a redrawn link.
  await g.settle(page);
  await assertTabOrder(page, "shop.html with a cart");

  await tabTo(page, `#inc-${skus[0]}`);
  await page.keyboard.press("Space");
  await waitText(page, "#cart-count", "3 items");
  assert.equal(await page.evaluate(() => document.activeElement.id), `inc-${skus[0]}`, "focus stays on the button after the cart redraws");

  await tabTo(page, `#qty-${skus[0]}`);
  await page.keyboard.press("Control+A");
  await page.keyboard.type("5");
  await page.keyboard.press("Enter");
  await waitText(page, "#cart-count", "6 items");

  await tabTo(page, `#remove-${skus[1]}`);
  await page.keyboard.press("Enter");
  await waitText(page, "#cart-count", "5 items");

  await tabTo(page, "#cart-empty");
  await page.keyboard.press("Space");
  await waitText(page, "#cart-count", "0 items");
  assert.equal(await page.evaluate(() => document.activeElement.id), "cart-title", "focus moves to the cart heading");
  await g.settle(page);
});
