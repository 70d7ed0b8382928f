// ui.js: small DOM helpers shared by the page modules. No innerHTML with
// data anywhere: every text from the API or a cookie goes in as textContent.

const encoder = new TextEncoder();

/** Returns the element with this id, or throws (a page bug, not a user error). */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}

/**
 * Creates an element. attrs: attributes (class, id, type, ...; a value of
 * true sets an empty attribute, false or null skips it). children: nodes or
 * strings (strings become text nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Length in bytes of s as UTF-8 (what a Cookie header carries). */
export function byteLength(s) {
  return encoder.encode(s).length;
}

/** Shows a success (or info) message in a live region. */
export function showOK(region, message, state = "ok") {
  region.dataset.state = state;
  delete region.dataset.code;
  region.replaceChildren(el("p", {}, message));
}

/** Empties a live region. */
export function clearFeedback(region) {
  delete region.dataset.state;
  delete region.dataset.code;
  region.replaceChildren();
}

/**
 * Shows an API error in a live region: a plain sentence first (plain, when
 * the page has one for this code), then the server's own message, status and
 * code, so that learners see the contract's error body.
 * @param {HTMLElement} region an aria-live element.
 * @param {{status:number, error:{code:string,message:string}}} res from api().
 * @param {string} [plain] a friendlier sentence for this case.
 */
export function showError(region, res, plain) {
  region.dataset.state = "error";
  region.dataset.code = res.error.code;
  const status = res.status ? `${res.status} ` : "";
  const parts = [];
  if (plain) parts.push(el("p", {}, el("strong", {}, plain)));
  parts.push(el("p", {},
    plain ? "" : el("strong", {}, "Refused: "),
    res.error.message || "(no message)",
    " ",
    el("span", { class: "code" }, `${status}${res.error.code}`)));
  region.replaceChildren(...parts);
}

/** Formats cents in currency for the page's language, e.g. €12.50. */
export function formatMoney(cents, currency) {
  const lang = document.documentElement.lang || "en";
  try {
    return new Intl.NumberFormat(lang, { style: "currency", currency: currency || "EUR" }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency || ""}`.trim();
  }
}

/** Formats an RFC 3339 time as a local date and time for the page's language. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const lang = document.documentElement.lang || "en";
  return d.toLocaleString(lang, { dateStyle: "medium", timeStyle: "medium" });
}

/**
 * Formats a number of seconds as a short duration: "2d 3h", "4h 05m",
 * "12m 09s", "42s".
 */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${h}h ${pad(m)}m`;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(sec)}s`;
  if (m > 0) return `${m}m ${pad(sec)}s`;
  return `${sec}s`;
}

/** Formats seconds as "3 minutes" / "45 seconds" for sentences. */
export function formatWait(seconds) {
  if (seconds >= 90) {
    const m = Math.ceil(seconds / 60);
    return `${m} minutes`;
  }
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

/**
 * Runs action while button shows as busy. The button keeps its focus (it is
 * marked aria-disabled rather than disabled, which would drop focus), and a
 * second press while busy is ignored.
 */
export async function busy(button, action) {
  if (button.getAttribute("aria-disabled") === "true") return undefined;
  button.setAttribute("aria-disabled", "true");
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.removeAttribute("aria-disabled");
    button.removeAttribute("aria-busy");
  }
}
