// account-reauth.test.mjs: ending sessions needs a fresh authentication.
// The runner gets SESSION_REAUTH_WINDOW=2s, so a session is soon past its
// freshUntil; then a revoke answers 403 reauthentication_required and the
// account page asks for the password in a modal dialog (labelled, focus
// trapped inside and given back, Escape cancels), re-authenticates and
// sends the revoke again.
import assert from "node:assert/strict";
import { join } from "node:path";
import { suite, waitText, waitAttr, until, uniqueName, assertAccessible, ROOT } from "./harness.mjs";

const { scenario } = suite({ reauthWindow: "2s" });

const PASSWORD = "correct horse battery";

async function submitCredentials(page, form, username, password) {
  await page.fill(`#${form}-username`, username);
  await page.fill(`#${form}-password`, password);
  await page.click(`#${form}-submit`);
}

async function waitLoggedIn(page, username) {
  await waitAttr(page, "body", "data-authenticated", "true");
  await waitText(page, "#whoami-username", username);
}

/** Waits until the page's session is surely past freshUntil (shown to the second). */
async function waitStale(page) {
  const until = Date.parse(await page.getAttribute("#fresh-until", "datetime"));
  assert.ok(until > 0, "the page shows until when the session is fresh");
  await page.waitForTimeout(Math.max(0, until - Date.now()) + 1_200);
}

const focused = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

scenario("a stale revoke asks for the password in a dialog: focus trapped and given back, Escape cancels, a wrong password is refused, the right one lets the revoke through", async ({ open }) => {
  const user = uniqueName("stale");
  const a = await open();
  const pa = await a.open("/account.html");
  await submitCredentials(pa, "register", user, PASSWORD);
  await waitLoggedIn(pa, user);
  const b = await open();
  const pb = await b.open("/account.html");
  await submitCredentials(pb, "login", user, PASSWORD);
  await waitLoggedIn(pb, user);
  await pa.click("#sessions-refresh");
  await until(() => pa.locator("#sessions-list > li").count(), (n) => n === 2, "A sees both sessions");
  const bID = await pa.getAttribute("#sessions-list > li:not(.current)", "data-session-id");
  a.allowHTTPError(403, `/api/sessions/${bID}`);
  a.allowHTTPError(401, "/api/reauthenticate");
  await waitStale(pa);

  await pa.focus(`#revoke-${bID}`);
  await pa.keyboard.press("Enter");
  const dialog = pa.getByRole("dialog", { name: "Confirm it is you" });
  await dialog.waitFor({ state: "visible" });
  assert.equal(await focused(pa), "reauth-password", "focus moves into the dialog, on the password");
  assert.match(await pa.getAttribute("#reauth-dialog", "aria-describedby"), /reauth-desc/);
  await assertAccessible(pa, "account.html with the re-authentication dialog open");
  await pa.screenshot({ path: join(ROOT, "docs", "screenshots", "account-reauth-dialog.png"), animations: "disabled", caret: "hide" });

  // Tab and Shift+Tab stay inside.
  const seen = [];
  for (let i = 0; i < 4; i++) {
    await pa.keyboard.press("Tab");
    seen.push(await focused(pa));
  }
  assert.deepEqual(seen, ["reauth-submit", "reauth-cancel", "reauth-password", "reauth-submit"]);
  await pa.keyboard.press("Shift+Tab");
  await pa.keyboard.press("Shift+Tab");
  assert.equal(await focused(pa), "reauth-cancel", "Shift+Tab from the first control goes to the last");

  // Escape cancels: nothing ends, focus is back on the button that opened it.
  await pa.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await focused(pa), `revoke-${bID}`, "focus goes back to the revoke button");
  await waitText(pa, "#sessions-feedback", "Nothing was ended");
  await pb.click("#whoami-refresh");
  await waitLoggedIn(pb, user);

  // Again: a wrong password is refused inside the dialog, which stays open.
  await pa.click(`#revoke-${bID}`);
  await dialog.waitFor({ state: "visible" });
  await pa.keyboard.type("not the password");
  await pa.keyboard.press("Enter");
  await waitAttr(pa, "#reauth-feedback", "data-code", "invalid_credentials");
  assert.equal(await pa.isVisible("#reauth-dialog"), true);
  assert.equal(await focused(pa), "reauth-password");

  await a.settle(pa);
  const before = (await a.jar()).session.value;
  await pa.fill("#reauth-password", PASSWORD);
  await pa.keyboard.press("Enter");
  await dialog.waitFor({ state: "hidden" });
  await waitText(pa, "#sessions-feedback", `Session ${bID} is ended`);
  await until(() => pa.locator("#sessions-list > li").count(), (n) => n === 1, "only A's session is left");
  await a.settle(pa);
  assert.notEqual((await a.jar()).session.value, before, "re-authenticating gave A a new session ID");
  await pb.click("#whoami-refresh");
  await waitAttr(pb, "body", "data-authenticated", "false");
  await assertAccessible(pa, "account.html after re-authenticating");
});

scenario("when stale, sign out everywhere else and revoking your own session go through the dialog too; Cancel ends nothing", async ({ open }) => {
  const user = uniqueName("all");
  const a = await open();
  a.allowHTTPError(403, "/api/sessions");
  const pa = await a.open("/account.html");
  await submitCredentials(pa, "register", user, PASSWORD);
  await waitLoggedIn(pa, user);
  const others = [];
  for (let i = 0; i < 2; i++) {
    const o = await open();
    const p = await o.open("/account.html");
    await submitCredentials(p, "login", user, PASSWORD);
    await waitLoggedIn(p, user);
    others.push(p);
  }
  await pa.click("#sessions-refresh");
  await until(() => pa.locator("#sessions-list > li").count(), (n) => n === 3, "A sees three sessions");
  await waitStale(pa);

  await pa.click("#revoke-others");
  const dialog = pa.getByRole("dialog", { name: "Confirm it is you" });
  await dialog.waitFor({ state: "visible" });
  await pa.click("#reauth-cancel");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await focused(pa), "revoke-others");
  await waitText(pa, "#sessions-feedback", "Nothing was ended");
  assert.equal(await pa.locator("#sessions-list > li").count(), 3);

  await pa.click("#revoke-others");
  await dialog.waitFor({ state: "visible" });
  await pa.fill("#reauth-password", PASSWORD);
  await pa.click("#reauth-submit");
  await waitText(pa, "#sessions-feedback", "Every other session is ended");
  for (const p of others) {
    await p.click("#whoami-refresh");
    await waitAttr(p, "body", "data-authenticated", "false");
  }

  // Revoking your own session when stale: the dialog, then the revoke of
  // this session under the new ID the re-authentication gave it.
  await waitStale(pa);
  const own = await pa.getAttribute("#sessions-list > li", "data-session-id");
  a.allowHTTPError(403, `/api/sessions/${own}`);
  await pa.click(`#revoke-${own}`);
  await dialog.waitFor({ state: "visible" });
  await pa.fill("#reauth-password", PASSWORD);
  await pa.keyboard.press("Enter");
  await waitAttr(pa, "body", "data-authenticated", "false");
  await waitText(pa, "#whoami-feedback", "logged out here");
  await a.settle(pa);
  assert.equal((await a.jar()).session, undefined);
});
