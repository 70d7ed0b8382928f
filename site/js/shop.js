// shop.js: the catalogue and the server-side cart (shop.html).
import { api } from "./api.js";
import { readCookies } from "./theme.js";
import { byId, el, showOK, showError, busy, formatMoney } from "./ui.js";

const catalogueFeedback = byId("catalogue-feedback");
const cartFeedback = byId("cart-feedback");

/** The last cart the server sent. */
let cart = { items: [], count: 0, totalCents: 0, currency: "EUR" };

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
  byId("products").replaceChildren(...(res.body.products || []).map(productItem));
}

async function addToCart(p) {
  const res = await api("POST", "/api/cart/items", { sku: p.sku, quantity: 1 });
  if (res.error) {
    fail(catalogueFeedback, res);
    return;
  }
  renderCart(res.body);
  const line = cart.items.find((i) => i.sku === p.sku);
  showOK(catalogueFeedback, `Added ${p.name}. You have ${line ? line.quantity : 1} in your cart, ${cart.count} items in all.`);
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
  const res = await api("PUT", `/api/cart/items/${encodeURIComponent(item.sku)}`, { quantity });
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
  const res = await api("DELETE", `/api/cart/items/${encodeURIComponent(item.sku)}`);
  if (res.error) {
    fail(cartFeedback, res);
    loadCart();
    return;
  }
  renderCart(res.body);
  showOK(cartFeedback, `Removed ${item.name}.`);
}

async function emptyCart() {
  const res = await api("DELETE", "/api/cart");
  if (res.error) {
    fail(cartFeedback, res);
    return;
  }
  renderCart(null);
  byId("cart-title").focus();
  showOK(cartFeedback, "Your cart is empty. The session itself is still there, with nothing in it.");
}

byId("cart-empty").addEventListener("click", (e) => busy(e.currentTarget, emptyCart));

showCookieView();
showWho();
loadProducts();
loadCart();
