// shop.js: the catalogue and the server-side cart (shop.html), and the
// exactly-once panel: many adds at once, and the last change replayed with
// its Idempotency-Key.
import { api, change } from "./api.js";
import { readCookies } from "./theme.js";
import { byId, el, showOK, showError, clearFeedback, busy, formatMoney } from "./ui.js";

const catalogueFeedback = byId("catalogue-feedback");
const cartFeedback = byId("cart-feedback");

/** The last cart the server sent. */
let cart = { items: [], count: 0, totalCents: 0, currency: "EUR" };

/** The catalogue, by sku. */
const products = new Map();

/**
 * The last change the server applied: { method, path, body, key, label },
 * or null. The panel "Replay the last change" sends it again with its key.
 */
let lastChange = null;

/** Never more adds at once than this in the panel. */
const MAX_BURST = 20;

function plainWords(res) {
  switch (res.error.code) {
    case "invalid_quantity":
      return "That quantity is not possible: from 1 to 99 of each product (0 removes it).";
    case "cart_full":
      return "Your cart is full: at most 50 different products.";
    case "not_in_cart":
      return "That product is no longer in your cart.";
    case "unknown_product":
      return "That product is not in the catalogue.";
    case "store_unavailable":
      return "The session store did not answer. Your last change may or may not have been saved: reload the page in a moment to see your cart.";
    default:
      return "";
  }
}

function fail(region, res) {
  showError(region, res, plainWords(res));
}

// ---------- where the cart lives ----------

function showCookieView() {
  const cookies = readCookies();
  const view = byId("shop-cookie-view");
  const names = cookies.map((c) => `${c.name}=${c.value}`);
  view.textContent = names.length ? `${names.join("; ")}  ← no session cookie: it is HttpOnly` : "(empty: the session cookie, if any, is HttpOnly)";
}

async function showWho() {
  const who = byId("shop-who");
  const res = await api("GET", "/api/session");
  if (res.error) {
    who.textContent = `Could not ask the server who you are (${res.error.code}).`;
    return;
  }
  const b = res.body;
  if (b.authenticated && b.user) {
    who.replaceChildren("You are logged in as ", el("strong", {}, b.user.username), ": the cart belongs to your session.");
  } else if (b.session) {
    who.replaceChildren("You are not logged in: the cart sits in an anonymous session. ",
      el("a", { href: "account.html" }, "Log in"), " and it comes with you into your new session.");
  } else {
    who.textContent = "You have no session yet: the first product you add starts one.";
  }
}

// ---------- catalogue ----------

function productItem(p) {
  const add = el("button", { type: "button", id: `add-${p.sku}`, "data-sku": p.sku, "aria-label": `Add to cart: ${p.name}` }, "Add to cart");
  add.addEventListener("click", () => busy(add, () => addToCart(p)));
  return el("li", { "data-sku": p.sku },
    el("h3", {}, p.name),
    el("p", { class: "price" }, formatMoney(p.priceCents, p.currency)),
    add);
}

async function loadProducts() {
  const res = await api("GET", "/api/products");
  if (res.error) {
    byId("products").replaceChildren(el("li", { class: "muted" }, "The catalogue could not be loaded."));
    fail(catalogueFeedback, res);
    return;
  }
  const list = res.body.products || [];
  for (const p of list) products.set(p.sku, p);
  byId("products").replaceChildren(...list.map(productItem));
  byId("burst-product").replaceChildren(...list.map((p) => el("option", { value: p.sku }, p.name)));
}

/**
 * Sends one change of the cart (api.js change(): a fresh Idempotency-Key,
 * retried with it after a network error or a 503) and remembers it, once
 * the server applied it, as the last change.
 */
async function send(method, path, body, label) {
  const res = await change(method, path, body);
  if (res.ok) lastChange = { method, path, body, key: res.key, label };
  showLastChange();
  return res;
}

/** A sentence for an answer that was a replay: the first try had landed. */
function replayNote(res) {
  return res.replayed ? " (Sent twice: the first answer was lost, the server recognised the key and did not apply it again.)" : "";
}

async function addToCart(p) {
  const res = await send("POST", "/api/cart/items", { sku: p.sku, quantity: 1 }, `add one ${p.name}`);
  if (res.error) {
    fail(catalogueFeedback, res);
    return;
  }
  renderCart(res.body);
  const line = cart.items.find((i) => i.sku === p.sku);
  showOK(catalogueFeedback, `Added ${p.name}. You have ${line ? line.quantity : 1} in your cart, ${cart.count} items in all.${replayNote(res)}`);
  showWho();
  showCookieView();
}

// ---------- cart ----------

function cartLine(item) {
  const qty = el("input", {
    id: `qty-${item.sku}`,
    type: "number",
    inputmode: "numeric",
    min: "0",
    max: "99",
    value: String(item.quantity),
    "aria-label": `Quantity of ${item.name}`,
  });
  qty.addEventListener("change", () => setQuantity(item, qty.value));
  const dec = el("button", { type: "button", class: "secondary", id: `dec-${item.sku}`, "aria-label": `One fewer ${item.name}` }, "−");
  dec.addEventListener("click", () => busy(dec, () => setQuantity(item, String(item.quantity - 1))));
  const inc = el("button", { type: "button", class: "secondary", id: `inc-${item.sku}`, "aria-label": `One more ${item.name}` }, "+");
  inc.addEventListener("click", () => busy(inc, () => setQuantity(item, String(item.quantity + 1))));
  const remove = el("button", { type: "button", class: "danger line-remove", id: `remove-${item.sku}`, "aria-label": `Remove ${item.name}` }, "Remove");
  remove.addEventListener("click", () => busy(remove, () => removeLine(item)));
  return el("li", { "data-sku": item.sku },
    el("div", { class: "line-info" },
      el("h3", {}, item.name),
      el("p", { class: "small muted" }, `${formatMoney(item.priceCents, cart.currency)} each`)),
    el("div", { class: "line-controls" },
      el("div", { class: "qty" }, dec, qty, inc),
      el("p", { class: "line-total", id: `line-total-${item.sku}` }, formatMoney(item.lineTotalCents, cart.currency)),
      remove));
}

/** Shows a cart from the server, keeping keyboard focus where it was. */
function renderCart(body) {
  const focused = document.activeElement && document.activeElement.id;
  cart = body && Array.isArray(body.items) ? body : { items: [], count: 0, totalCents: 0, currency: "EUR" };
  byId("cart-items").replaceChildren(...cart.items.map(cartLine));
  const empty = cart.items.length === 0;
  byId("cart-empty-note").hidden = !empty;
  byId("cart-empty").hidden = empty;
  byId("cart-count").textContent = cart.count === 1 ? "1 item" : `${cart.count} items`;
  byId("cart-total").textContent = formatMoney(cart.totalCents || 0, cart.currency);
  if (focused && /^(qty|dec|inc|remove|cart-empty)/.test(focused)) {
    const again = document.getElementById(focused);
    if (again && !again.hidden) again.focus();
    else byId("cart-title").focus();
  }
}

async function loadCart() {
  const res = await api("GET", "/api/cart");
  if (res.error) {
    fail(cartFeedback, res);
    return;
  }
  renderCart(res.body);
}

async function setQuantity(item, raw) {
  const text = String(raw).trim();
  if (!/^\d{1,3}$/.test(text)) {
    showError(cartFeedback, { status: 0, error: { code: "invalid_quantity", message: "Type a whole number from 0 to 99." } });
    renderCart(cart);
    return;
  }
  const quantity = Number(text);
  const res = await send("PUT", `/api/cart/items/${encodeURIComponent(item.sku)}`, { quantity }, `set ${item.name} to ${quantity}`);
  if (res.error) {
    fail(cartFeedback, res);
    if (res.error.code === "not_in_cart") loadCart();
    else renderCart(cart);
    return;
  }
  renderCart(res.body);
  showOK(cartFeedback, quantity === 0 ? `Removed ${item.name}.` : `${item.name}: quantity ${quantity}.`);
}

async function removeLine(item) {
  const res = await send("DELETE", `/api/cart/items/${encodeURIComponent(item.sku)}`, undefined, `remove ${item.name}`);
  if (res.error) {
    fail(cartFeedback, res);
    loadCart();
    return;
  }
  renderCart(res.body);
  showOK(cartFeedback, `Removed ${item.name}.`);
}

async function emptyCart() {
  const res = await send("DELETE", "/api/cart", undefined, "empty the cart");
  if (res.error) {
    fail(cartFeedback, res);
    return;
  }
  renderCart(null);
  byId("cart-title").focus();
  showOK(cartFeedback, "Your cart is empty. The session itself is still there, with nothing in it.");
}

byId("cart-empty").addEventListener("click", (e) => busy(e.currentTarget, emptyCart));

// ---------- exactly once: many adds at once, and a replay ----------

const burstFeedback = byId("burst-feedback");
const replayFeedback = byId("replay-feedback");

/** Reads the cart from the server (no change); null when it cannot. */
async function readCart(region) {
  const res = await api("GET", "/api/cart");
  if (res.error) {
    fail(region, res);
    return null;
  }
  return res.body;
}

/** Quantity of sku in a cart body. */
function quantityOf(body, sku) {
  const line = (body.items || []).find((i) => i.sku === sku);
  return line ? line.quantity : 0;
}

/** Shows a result in a live region: a sentence, then the facts as a list. */
function showResult(region, state, sentence, facts) {
  region.dataset.state = state;
  delete region.dataset.code;
  const list = el("dl", { class: "kv" });
  for (const [term, value, id] of facts) list.append(el("dt", {}, term), el("dd", { id }, value));
  region.replaceChildren(el("p", {}, sentence), list);
}

/** How many adds the learner asked for, or null (and says why). */
function burstSize() {
  const raw = byId("burst-count").value.trim();
  const n = Number(raw);
  if (!/^\d{1,2}$/.test(raw) || n < 1 || n > MAX_BURST) {
    showError(burstFeedback, { status: 0, error: { code: "invalid_number", message: `Type a whole number from 1 to ${MAX_BURST}.` } });
    return null;
  }
  return n;
}

/**
 * Sends n adds of one product at the same moment, each its own action with
 * its own key, and compares the line before and after: each add is one
 * atomic write, so all of them count. Without a session the first add goes
 * alone (it starts the session; n requests without a cookie would each
 * start one of their own), then the rest at once.
 */
async function sendBurst() {
  const n = burstSize();
  if (n === null) return;
  clearFeedback(burstFeedback);
  const p = products.get(byId("burst-product").value);
  if (!p) return;
  const before = await readCart(burstFeedback);
  if (!before) return;
  const session = await api("GET", "/api/session");
  const add = () => send("POST", "/api/cart/items", { sku: p.sku, quantity: 1 }, `add one ${p.name}`);
  const answers = [];
  let alone = false;
  if (!session.error && !session.body.session) {
    alone = true;
    answers.push(await add());
  }
  answers.push(...(await Promise.all(Array.from({ length: n - answers.length }, add))));
  const after = await readCart(burstFeedback);
  if (!after) return;
  renderCart(after);
  showWho();
  showCookieView();
  // A replayed answer here is a retry whose first try had landed: applied once.
  const applied = answers.filter((r) => r.ok).length;
  const refused = answers.filter((r) => r.error);
  const was = quantityOf(before, p.sku);
  const now = quantityOf(after, p.sku);
  const codes = [...new Set(refused.map((r) => r.error.code))].join(", ");
  const first = alone ? ` You had no session yet, so the first add went alone to start one, then the other ${n - 1} at once.` : "";
  const sentence = now - was === applied
    ? `Sent ${n} adds of ${p.name} at once, each with its own key: the line went from ${was} to ${now}, every applied add counted once.${first}`
    : `Sent ${n} adds of ${p.name}: the line went from ${was} to ${now}, but ${applied} were applied. Another tab may have changed the cart at the same time.${first}`;
  showResult(burstFeedback, refused.length ? "info" : "ok", sentence, [
    ["Sent", String(n), "burst-sent"],
    ["Applied", String(applied), "burst-applied"],
    ["Refused", refused.length ? `${refused.length} (${codes})` : "0", "burst-refused"],
    [`${p.name} before`, String(was), "burst-before"],
    [`${p.name} after`, String(now), "burst-after"],
  ]);
}

/** Shows the change a replay would send. */
function showLastChange() {
  const request = byId("last-change-request");
  const key = byId("last-change-key");
  const button = byId("replay-send");
  if (!lastChange) {
    request.textContent = "(none yet: change the cart first)";
    key.textContent = "–";
    button.disabled = true;
    return;
  }
  const body = lastChange.body === undefined ? "" : ` ${JSON.stringify(lastChange.body)}`;
  request.textContent = `${lastChange.method} ${lastChange.path}${body}`;
  key.textContent = `Idempotency-Key: ${lastChange.key}`;
  button.disabled = false;
}

/**
 * Sends the last change again with its key, as a retry after a lost
 * answer would, and shows that the server recognised it: the same status,
 * Idempotent-Replayed: true, and the cart as it was.
 */
async function replayLast() {
  const last = lastChange;
  if (!last) return;
  clearFeedback(replayFeedback);
  const before = await readCart(replayFeedback);
  if (!before) return;
  const res = await change(last.method, last.path, last.body, { key: last.key });
  if (res.error) {
    fail(replayFeedback, res);
    return;
  }
  const after = res.body && Array.isArray(res.body.items) ? res.body : await readCart(replayFeedback);
  if (!after) return;
  renderCart(after);
  const header = res.replayed ? "true" : "(absent)";
  const sentence = res.replayed
    ? `The server recognised the key: it answered ${res.status} with Idempotent-Replayed: true and changed nothing. Your cart still holds ${after.count} ${after.count === 1 ? "item" : "items"}: "${last.label}" was not applied twice.`
    : `The server did not recognise the key (a session remembers its 32 most recent keys, for 24 hours), so "${last.label}" was applied again: ${before.count} items before, ${after.count} now.`;
  showResult(replayFeedback, res.replayed ? "ok" : "info", sentence, [
    ["Status", String(res.status), "replay-status"],
    ["Idempotent-Replayed", header, "replay-header"],
    ["Items before", String(before.count), "replay-before"],
    ["Items after", String(after.count), "replay-after"],
  ]);
}

byId("burst-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("burst-send"), sendBurst);
});
byId("replay-send").addEventListener("click", (e) => busy(e.currentTarget, replayLast));

showCookieView();
showWho();
showLastChange();
loadProducts();
loadCart();
