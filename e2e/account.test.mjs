// account.test.mjs: accounts and server-side sessions in a real browser:
// register, log out, log in with and without "remember me", revoking
// another browser's session, and a cart that survives logging in.
import assert from "node:assert/strict";
import { suite, goto, reload, waitText, waitAttr, until, uniqueName, assertAccessible } from "./harness.mjs";

const { scenario } = suite();

const PASSWORD = "correct horse battery";
const HOUR = 3_600;

/** Fills and submits the register or login form. */
async function submitCredentials(page, form, username, password, remember = false) {
  await page.fill(`#${form}-username`, username);
  await page.fill(`#${form}-password`, password);
  if (form === "login") await page.setChecked("#login-remember", remember);
  await page.click(`#${form}-submit`);
}

/** Waits until the account page says who is logged in (or that nobody is). */
async function waitLoggedIn(page, username) {
  await waitAttr(page, "body", "data-authenticated", "true");
  await waitText(page, "#whoami-username", username);
}

async function waitLoggedOut(page) {
  await waitAttr(page, "body", "data-authenticated", "false");
  await waitText(page, "#whoami-status", "Not logged in");
}

scenario("register, log out, log in without and with remember me", async ({ open }) => {
  const g = await open();
  g.allowHTTPError(401, "/api/login");
  await g.ctx.addCookies([{ name: "theme", value: "dark", url: g.base }]);
  const page = await g.open("/account.html");
  const user = uniqueName("reg");
  await waitText(page, "#whoami-status", "no session");
  assert.equal(await page.getAttribute("html", "data-theme"), "dark");
  assert.equal((await g.jar()).session, undefined, "no session before registering");

  await submitCredentials(page, "register", user, PASSWORD);
  await waitLoggedIn(page, user);
  await waitText(page, "#whoami-feedback", `Welcome, ${user}`);
  assert.equal(await page.isVisible("#logout"), true);
  assert.equal(await page.isVisible("#auth"), false, "the forms go away once logged in");
  await waitText(page, "#sessions-list", "This device");
  await g.settle(page);
  let jar = await g.jar();
  assert.equal(jar.session?.httpOnly, true);
  assert.equal(jar.session.expires, -1, "registering starts a browser-session cookie");
  const first = jar.session.value;

  await page.click("#logout");
  await waitLoggedOut(page);
  await waitText(page, "#whoami-feedback", "Logged out");
  await g.settle(page);
  assert.equal((await g.jar()).session, undefined, "logout expires the cookie");
  // Logout answers Clear-Site-Data: "cookies": the theme cookie goes too, and
  // the page applies the defaults at once.
  assert.equal((await g.jar()).theme, undefined, "Clear-Site-Data removed the theme cookie");
  assert.equal(await page.getAttribute("html", "data-theme"), "light");

  // A wrong password is refused in plain words; the page stays accessible.
  await submitCredentials(page, "login", user, "not the password");
  await waitAttr(page, "#login-feedback", "data-code", "invalid_credentials");
  await waitText(page, "#login-feedback", "do not match");
  assert.equal((await g.jar()).session, undefined);
  await assertAccessible(page, "account.html with a login error");

  await submitCredentials(page, "login", user, PASSWORD, false);
  await waitLoggedIn(page, user);
  await waitText(page, "#whoami-feedback", "no Max-Age");
  await g.settle(page);
  jar = await g.jar();
  assert.equal(jar.session?.expires, -1, "without remember me: no expiry");
  assert.notEqual(jar.session.value, first, "a new session ID at every login");
  const second = jar.session.value;

  await page.click("#logout");
  await waitLoggedOut(page);
  await submitCredentials(page, "login", user, PASSWORD, true);
  await waitLoggedIn(page, user);
  await waitText(page, "#whoami-feedback", "has a Max-Age");
  await g.settle(page);
  jar = await g.jar();
  const hours = (jar.session.expires - Date.now() / 1000) / HOUR;
  assert.ok(hours > 719.9 && hours <= 720.01, `remember me keeps the cookie 720 h, got ${hours.toFixed(2)}`);
  assert.notEqual(jar.session.value, second);

  // The session survives a reload and shows both deadlines ticking.
  await reload(page);
  await waitLoggedIn(page, user);
  assert.equal(await page.isVisible("#deadlines"), true);
  await waitText(page, "#absolute-countdown", /^(29d|30d) /);
  await waitText(page, "#idle-countdown", /^(6d|7d) /);
  await assertAccessible(page, "account.html logged in");
});

scenario("two browsers log in as one user; one revokes the other, whose next action shows it is signed out", async ({ open }) => {
  const user = uniqueName("two");
  const a = await open();
  const b = await open({ userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Firefox/128.0" });
  const pa = await a.open("/account.html");
  await submitCredentials(pa, "register", user, PASSWORD);
  await waitLoggedIn(pa, user);

  const pb = await b.open("/account.html");
  await submitCredentials(pb, "login", user, PASSWORD);
  await waitLoggedIn(pb, user);
  await b.settle(pb);
  const bCookie = (await b.jar()).session;
  assert.ok(bCookie, "B holds a session cookie");

  await pa.click("#sessions-refresh");
  await waitText(pa, "#sessions-feedback", "up to date");
  const items = await pa.$$eval("#sessions-list > li", (lis) => lis.map((li) => ({
    id: li.dataset.sessionId, current: li.dataset.current, text: li.textContent,
  })));
  assert.equal(items.length, 2, "A sees both sessions");
  assert.equal(items[0].current, "true", "A's own session first, marked");
  assert.match(items[0].text, /This device/);
  assert.match(items[1].text, /Firefox on Windows/, "B's browser is named from its User-Agent");
  assert.equal(await pa.isVisible("#revoke-others"), true);

  await pa.click(`#revoke-${items[1].id}`);
  await waitText(pa, "#sessions-feedback", `Session ${items[1].id} is ended`);
  assert.equal(await pa.locator("#sessions-list > li").count(), 1);
  assert.equal(await pa.isVisible("#revoke-others"), false, "nothing else to sign out");
  await a.settle(pa);
  assert.ok((await a.jar()).session, "A is still logged in");

  // B still shows its old state until its next request: then it is signed out.
  assert.equal(await pb.getAttribute("body", "data-authenticated"), "true");
  await pb.click("#whoami-refresh");
  await waitLoggedOut(pb);
  assert.equal(await pb.isVisible("#login-form"), true, "B is offered the login form again");
  await b.settle(pb);
  assert.equal((await b.jar()).session, undefined, "the response expired B's revoked cookie");

  // A's own session is untouched.
  await pa.click("#whoami-refresh");
  await waitLoggedIn(pa, user);
  await assertAccessible(pa, "account.html with the sessions list");
});

scenario("sign out everywhere else ends every other session; revoking your own logs you out", async ({ open }) => {
  const user = uniqueName("all");
  const a = await open();
  const pa = await a.open("/account.html");
  await submitCredentials(pa, "register", user, PASSWORD);
  await waitLoggedIn(pa, user);
  const others = [await open(), await open()];
  const otherPages = [];
  for (const o of others) {
    const p = await o.open("/account.html");
    await submitCredentials(p, "login", user, PASSWORD);
    await waitLoggedIn(p, user);
    otherPages.push(p);
  }
  await pa.click("#sessions-refresh");
  await until(() => pa.locator("#sessions-list > li").count(), (n) => n === 3, "A sees three sessions");
  await pa.click("#revoke-others");
  await waitText(pa, "#sessions-feedback", "Every other session is ended");
  assert.equal(await pa.locator("#sessions-list > li").count(), 1);
  for (const p of otherPages) {
    await p.click("#whoami-refresh");
    await waitLoggedOut(p);
  }
  const own = await pa.getAttribute("#sessions-list > li", "data-session-id");
  await pa.click(`#revoke-${own}`);
  await waitLoggedOut(pa);
  await waitText(pa, "#whoami-feedback", "logged out here");
  await a.settle(pa);
  assert.equal((await a.jar()).session, undefined);
});

scenario("the cart: add as anonymous, reload, log in, the cart is still there", async ({ open }) => {
  const user = uniqueName("cart");
  const owner = await open();
  const reg = await owner.open("/account.html");
  await submitCredentials(reg, "register", user, PASSWORD);
  await waitLoggedIn(reg, user);

  const g = await open();
  const shop = await g.open("/shop.html");
  await waitText(shop, "#shop-who", "no session yet");
  assert.equal((await g.jar()).session, undefined, "looking at the shop starts no session");
  const skus = await shop.$$eval("#products > li[data-sku]", (lis) => lis.map((li) => li.dataset.sku));
  assert.ok(skus.length >= 2, "the catalogue has products");
  await shop.click(`#add-${skus[0]}`);
  await waitText(shop, "#cart-count", "1 item");
  await shop.click(`#add-${skus[1]}`);
  await waitText(shop, "#cart-count", "2 items");
  await shop.click(`#inc-${skus[1]}`);
  await waitText(shop, "#cart-count", "3 items");
  await waitText(shop, "#shop-who", "anonymous session");
  await g.settle(shop);
  const total = await shop.textContent("#cart-total");
  const anon = (await g.jar()).session;
  assert.ok(anon, "adding to the cart started an anonymous session");
  assert.equal(anon.httpOnly, true);
  assert.equal(anon.expires, -1);
  assert.doesNotMatch(await shop.textContent("#shop-cookie-view"), /session=/);

  await reload(shop);
  await waitText(shop, "#cart-count", "3 items");
  assert.equal(await shop.textContent("#cart-total"), total, "the same total after a reload");
  assert.equal(await shop.inputValue(`#qty-${skus[1]}`), "2");

  await goto(shop, "/account.html");
  await waitText(shop, "#whoami-status", "anonymous session");
  await submitCredentials(shop, "login", user, PASSWORD);
  await waitLoggedIn(shop, user);
  await g.settle(shop);
  const logged = (await g.jar()).session;
  assert.notEqual(logged.value, anon.value, "login gives a new session ID");

  await goto(shop, "/shop.html");
  await waitText(shop, "#shop-who", `logged in as ${user}`);
  await waitText(shop, "#cart-count", "3 items");
  assert.equal(await shop.textContent("#cart-total"), total, "the cart came along into the new session");
  await assertAccessible(shop, "shop.html with a cart");

  // Emptying it keeps the session but not the items.
  await shop.click("#cart-empty");
  await waitText(shop, "#cart-feedback", "Your cart is empty");
  await waitText(shop, "#cart-count", "0 items");
  await reload(shop);
  await waitText(shop, "#cart-count", "0 items");
});

scenario("change the password: the other browser is signed out, the old password no longer works, the new one does", async ({ open }) => {
  const user = uniqueName("pwd");
  const a = await open();
  a.allowHTTPError(401, "/api/password");
  a.allowHTTPError(400, "/api/password");
  a.allowHTTPError(401, "/api/login");
  const pa = await a.open("/account.html");
  await submitCredentials(pa, "register", user, PASSWORD);
  await waitLoggedIn(pa, user);
  const b = await open();
  const pb = await b.open("/account.html");
  await submitCredentials(pb, "login", user, PASSWORD);
  await waitLoggedIn(pb, user);
  assert.equal(await pa.isVisible("#password-form"), true, "the form is there once logged in");

  // An empty field is caught on the page; a wrong current password and a
  // weak new one are refused by the server, in plain words.
  await pa.click("#password-submit");
  await waitAttr(pa, "#password-feedback", "data-code", "missing_field");
  assert.equal(await pa.evaluate(() => document.activeElement.id), "password-current");
  await pa.fill("#password-current", "not the password");
  await pa.fill("#password-new", "a brand new password");
  await pa.click("#password-submit");
  await waitAttr(pa, "#password-feedback", "data-code", "invalid_credentials");
  await pa.fill("#password-current", PASSWORD);
  await pa.fill("#password-new", "short");
  await pa.click("#password-submit");
  await waitAttr(pa, "#password-feedback", "data-code", "weak_password");
  await waitText(pa, "#password-feedback", "not your current password");
  assert.equal(await pa.evaluate(() => document.activeElement.id), "password-new");
  await assertAccessible(pa, "account.html with a refused password change");

  await a.settle(pa);
  const before = (await a.jar()).session.value;
  await pa.fill("#password-new", "a brand new password");
  await pa.click("#password-submit");
  await waitText(pa, "#password-feedback", "1 other session was ended");
  assert.equal(await pa.evaluate(() => document.activeElement.id), "password-title", "focus moves to the section's heading");
  assert.equal(await pa.inputValue("#password-current"), "", "the fields are emptied");
  await waitLoggedIn(pa, user);
  await a.settle(pa);
  assert.notEqual((await a.jar()).session.value, before, "this browser goes on under a new session ID");
  assert.equal(await pa.locator("#sessions-list > li").count(), 1, "only this session is left");

  await pb.click("#whoami-refresh");
  await waitLoggedOut(pb);

  b.allowHTTPError(401, "/api/login");
  await submitCredentials(pb, "login", user, PASSWORD);
  await waitAttr(pb, "#login-feedback", "data-code", "invalid_credentials");
  await submitCredentials(pb, "login", user, "a brand new password");
  await waitLoggedIn(pb, user);
  await assertAccessible(pa, "account.html after a password change");
});

scenario("delete the account: a password and a confirmation; every session ends and the name can be registered again", async ({ open }) => {
  const user = uniqueName("del");
  const a = await open();
  a.allowHTTPError(401, "/api/account");
  const pa = await a.open("/account.html");
  await submitCredentials(pa, "register", user, PASSWORD);
  await waitLoggedIn(pa, user);
  const b = await open();
  const pb = await b.open("/account.html");
  await submitCredentials(pb, "login", user, PASSWORD);
  await waitLoggedIn(pb, user);

  // Without the confirmation nothing is sent.
  await pa.fill("#delete-password", PASSWORD);
  await pa.click("#delete-submit");
  await waitAttr(pa, "#delete-feedback", "data-code", "not_confirmed");
  assert.equal(await pa.evaluate(() => document.activeElement.id), "delete-confirm");
  await pa.check("#delete-confirm");
  await pa.fill("#delete-password", "not the password");
  await pa.click("#delete-submit");
  await waitAttr(pa, "#delete-feedback", "data-code", "invalid_credentials");
  await assertAccessible(pa, "account.html with a refused deletion");
  await waitLoggedIn(pa, user);

  await pa.fill("#delete-password", PASSWORD);
  await pa.click("#delete-submit");
  await waitLoggedOut(pa);
  await waitText(pa, "#whoami-feedback", "Your account is deleted");
  assert.equal(await pa.isVisible("#account-settings"), false);
  await a.settle(pa);
  assert.equal((await a.jar()).session, undefined, "the response expired the cookie");

  await pb.click("#whoami-refresh");
  await waitLoggedOut(pb);
  await b.settle(pb);
  assert.equal((await b.jar()).session, undefined, "the other browser's session ended too");

  a.allowHTTPError(401, "/api/login");
  await submitCredentials(pa, "login", user, PASSWORD);
  await waitAttr(pa, "#login-feedback", "data-code", "invalid_credentials");
  await submitCredentials(pa, "register", user, "another long password");
  await waitLoggedIn(pa, user);
  await until(() => pa.locator("#sessions-list > li").count(), (n) => n === 1, "the new account has only its own session");
});
