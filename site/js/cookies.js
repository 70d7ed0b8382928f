// cookies.js: the four cookie demos of cookies.html.
import { api, change } from "./api.js";
import { applyPreferences, readCookies, currentPreferences, heldName, isCookieOf, HOST_PREFIX } from "./theme.js";
import { byId, el, byteLength, showOK, showError, clearFeedback, busy } from "./ui.js";

/** The cookies the API sets itself, by their plain names. */
const MANAGED = ["session", "signed_session", "theme", "language", "visits"];

/**
 * Cookies the API sets itself, in both forms (plain, and __Host- as with
 * COOKIE_SECURE=true); PUT/DELETE /api/cookies/{name} refuses them.
 */
const RESERVED = new Set(MANAGED.flatMap((n) => [n, HOST_PREFIX + n]));

/** The session cookie's names; the server redacts its value. */
const SESSION_NAMES = new Set(["session", "__Host-session"]);

/** Longest value shown in a table cell before it is cut. */
const SHOW_CHARS = 160;

/** RFC 6265 cookie-octets: printable ASCII without space, ", comma, ; and \. */
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/** Where the tamper demo puts its own copy of signed_session. */
const TAMPER_PATH = "/api/signed-session";

// ---------- 1. preferences ----------

const themeSelect = byId("theme-select");
const languageSelect = byId("language-select");
const maxAgeInput = byId("prefs-max-age");
const prefsFeedback = byId("prefs-feedback");

/** Shows the preference cookies as document.cookie has them now. */
function showPreferenceCookies() {
  const view = byId("prefs-cookie-view");
  const shown = readCookies().filter((c) => isCookieOf(c.name, "theme") || isCookieOf(c.name, "language"));
  view.textContent = shown.length ? shown.map((c) => `${c.name}=${c.value}`).join("; ") : "(no theme or language cookie: defaults apply)";
}

/** Puts the selects where the cookies are. */
function syncPreferenceControls() {
  const prefs = currentPreferences();
  themeSelect.value = prefs.theme;
  languageSelect.value = prefs.language;
  showPreferenceCookies();
}

/** Sends one or more preferences, then applies what document.cookie holds. */
async function savePreferences(change) {
  const body = { ...change };
  const days = maxAgeInput.value.trim();
  if (days !== "") body.maxAgeDays = Number(days);
  const res = await api("PUT", "/api/preferences", body);
  if (res.error) {
    showError(prefsFeedback, res);
    syncPreferenceControls();
    return;
  }
  const applied = applyPreferences();
  syncPreferenceControls();
  const asked = Object.entries(change).map(([k, v]) => `${k}=${v}`).join(", ");
  const mismatch = Object.entries(change).some(([k, v]) => applied[k] !== v);
  if (mismatch) {
    showOK(prefsFeedback, `The server accepted ${asked}, but the cookie is not in document.cookie: is your browser blocking cookies?`, "info");
  } else {
    const kept = body.maxAgeDays ?? 365;
    showOK(prefsFeedback, `Saved ${asked} in a cookie kept for ${kept} days, and applied it from document.cookie.`);
  }
  refreshInspector();
}

async function resetPreferences() {
  const res = await api("DELETE", "/api/preferences");
  if (res.error) {
    showError(prefsFeedback, res);
    return;
  }
  applyPreferences();
  syncPreferenceControls();
  showOK(prefsFeedback, "Both cookies expired (Max-Age=0). Back to the defaults: light, English.");
  refreshInspector();
}

themeSelect.addEventListener("change", () => savePreferences({ theme: themeSelect.value }));
languageSelect.addEventListener("change", () => savePreferences({ language: languageSelect.value }));
byId("prefs-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("prefs-save"), () => savePreferences({ theme: themeSelect.value, language: languageSelect.value }));
});
byId("prefs-reset").addEventListener("click", (e) => busy(e.currentTarget, resetPreferences));

// ---------- 2. visits ----------

const visitsFeedback = byId("visits-feedback");

/**
 * Counts a visit twice: in the visits cookie (POST /api/visits), then in
 * the server-side session (POST /api/session/visits, one user action with
 * its own Idempotency-Key, retried with it after a network error or 503).
 * Returns both counts, or null when either failed (its error shown).
 */
async function countVisit() {
  const res = await api("POST", "/api/visits");
  if (res.error) {
    showError(visitsFeedback, res);
    return null;
  }
  byId("visits-count").textContent = String(res.body.visits);
  const server = await change("POST", "/api/session/visits");
  if (server.error) {
    showError(visitsFeedback, server);
    refreshInspector();
    return null;
  }
  byId("server-visits-count").textContent = String(server.body.visits);
  refreshInspector();
  return { cookie: res.body.visits, server: server.body.visits };
}

async function forgeVisits() {
  const raw = byId("visits-forge-value").value.trim();
  if (!/^\d{1,15}$/.test(raw)) {
    showError(visitsFeedback, { status: 0, error: { code: "invalid_number", message: "Type a whole number of 0 or more." } });
    return;
  }
  // Write the visits cookie under the name the browser holds it (the page
  // counted a visit when it loaded); with none, count one first to learn it.
  let name = heldName("visits");
  if (name === null) {
    if (await countVisit() === null) return;
    name = heldName("visits") || "visits";
  }
  const secure = location.protocol === "https:" || name.startsWith(HOST_PREFIX) ? "; Secure" : "";
  document.cookie = `${name}=${raw}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  const n = await countVisit();
  if (n !== null) {
    showOK(visitsFeedback, `This page wrote visits=${raw} itself. The server read it, added one and answered ${n.cookie}: it has no way to know the number was made up. The count in your session, which no page can write, says ${n.server}.`);
  }
}

byId("visits-add").addEventListener("click", async (e) => {
  await busy(e.currentTarget, async () => {
    const n = await countVisit();
    if (n !== null) showOK(visitsFeedback, `Counted: the visits cookie now says ${n.cookie}, the count in your session ${n.server}.`);
  });
});
byId("visits-forge-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("visits-forge"), forgeVisits);
});

// ---------- 3. inspector ----------

const inspectorFeedback = byId("inspector-feedback");

/** Cuts a long value for display, saying how much was left out. */
function shortValue(value) {
  if (value.length <= SHOW_CHARS) return value;
  return `${value.slice(0, SHOW_CHARS)}… (${value.length - SHOW_CHARS} more characters)`;
}

function renderJSCookies(cookies) {
  const body = byId("js-cookies-body");
  if (cookies.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "document.cookie is empty.")));
  } else {
    body.replaceChildren(...cookies.map((c) => el("tr", {},
      el("th", { scope: "row" }, c.name),
      el("td", { class: "value" }, shortValue(c.value)),
      el("td", { class: "num" }, String(byteLength(c.name) + byteLength(c.value))))));
  }
  byId("js-cookies-total").textContent = `${byteLength(document.cookie)} bytes`;
}

function deleteButton(name) {
  const b = el("button", { type: "button", class: "danger", id: `delete-${name}`, "data-name": name, "aria-label": `Delete ${name}` }, "Delete");
  b.addEventListener("click", () => busy(b, () => deleteCookie(name)));
  return b;
}

function renderServerCookies(list, headerBytes, jsNames) {
  const body = byId("server-cookies-body");
  const hidden = [];
  if (list.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "The request carried no cookies.")));
  } else {
    body.replaceChildren(...list.map((c) => {
      const notInJS = !jsNames.has(c.name);
      if (notInJS) hidden.push(c.name);
      const value = c.redacted || c.value === null
        ? el("span", { class: "badge" }, "redacted")
        : shortValue(String(c.value));
      return el("tr", { "data-name": c.name },
        el("th", { scope: "row" }, c.name, notInJS ? [" ", el("span", { class: "badge ok" }, "HttpOnly")] : null),
        el("td", { class: "value" }, value),
        el("td", { class: "num" }, String(c.bytes)),
        el("td", {}, RESERVED.has(c.name) ? el("span", { class: "visually-hidden" }, "set by the API, not deletable here") : deleteButton(c.name)));
    }));
  }
  byId("server-header-bytes").textContent = `${headerBytes} bytes`;
  const names = byId("httponly-names");
  names.textContent = hidden.length
    ? `Right now the server received ${hidden.join(", ")}, which document.cookie does not show.`
    : "Right now every cookie the server received is also visible to JavaScript.";
}

/** Re-reads both sides: document.cookie here, GET /api/cookies there. */
async function refreshInspector() {
  const jsCookies = readCookies();
  renderJSCookies(jsCookies);
  const res = await api("GET", "/api/cookies");
  if (res.error) {
    showError(inspectorFeedback, res);
    return false;
  }
  renderServerCookies(res.body.cookies || [], res.body.headerBytes ?? 0, new Set(jsCookies.map((c) => c.name)));
  return true;
}

/**
 * Checks only what would break the URL /api/cookies/{name}: an empty name or
 * a "/". Everything else is left to the server, so that learners see the
 * API's own refusal (invalid_cookie_name). Returns an error sentence or "".
 */
function nameProblem(name) {
  if (name === "") return "Give the cookie a name.";
  if (name.includes("/")) return "A cookie name cannot contain \"/\" (and this one would also change the URL of the request).";
  return "";
}

async function setCookie() {
  const name = byId("cookie-name").value.trim();
  const problem = nameProblem(name);
  if (problem) {
    showError(inspectorFeedback, { status: 0, error: { code: "invalid_cookie_name", message: problem } });
    byId("cookie-name").focus();
    return;
  }
  const body = {
    value: byId("cookie-value").value,
    httpOnly: byId("cookie-httponly").checked,
    sameSite: byId("cookie-samesite").value,
  };
  const maxAge = byId("cookie-max-age").value.trim();
  if (maxAge !== "") body.maxAgeSeconds = Number(maxAge);
  // The value is sent as typed: the server checks it (invalid_cookie_value,
  // cookie_too_large), so learners see the API's own refusals.
  const res = await api("PUT", `/api/cookies/${encodeURIComponent(name)}`, body);
  if (res.error) {
    showError(inspectorFeedback, res);
    return;
  }
  const where = body.httpOnly ? "It is HttpOnly, so it shows only on the right." : "It shows on both sides.";
  const life = body.maxAgeSeconds ? `for ${body.maxAgeSeconds} seconds` : "until the browser closes";
  await refreshInspector();
  showOK(inspectorFeedback, `Set ${res.body.name} (${res.body.bytes} bytes) ${life}. ${where}`);
}

async function deleteCookie(name) {
  const problem = nameProblem(name);
  if (problem) {
    showError(inspectorFeedback, { status: 0, error: { code: "invalid_cookie_name", message: problem } });
    return;
  }
  const res = await api("DELETE", `/api/cookies/${encodeURIComponent(name)}`);
  if (res.error) {
    showError(inspectorFeedback, res);
    return;
  }
  await refreshInspector();
  showOK(inspectorFeedback, `Deleted ${name}: the server answered Set-Cookie with Max-Age=0.`);
}

byId("cookie-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("cookie-set"), setCookie);
});
byId("cookie-delete").addEventListener("click", (e) => {
  busy(e.currentTarget, () => deleteCookie(byId("cookie-name").value.trim()));
});
byId("inspector-refresh").addEventListener("click", (e) => {
  busy(e.currentTarget, async () => {
    if (await refreshInspector()) showOK(inspectorFeedback, "Both views are up to date.", "info");
  });
});

// ---------- 4. signed session ----------

const signedFeedback = byId("signed-feedback");
const tamperFeedback = byId("tamper-feedback");
let signedData = {};

/** Shows a GET/PUT /api/signed-session answer. */
function renderSigned(body) {
  signedData = body && body.data && typeof body.data === "object" ? body.data : {};
  const rows = Object.entries(signedData);
  const tbody = byId("signed-data-body");
  if (rows.length === 0) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "No data: there is no signed cookie.")));
  } else {
    tbody.replaceChildren(...rows.map(([k, v]) => {
      const remove = el("button", { type: "button", class: "danger", "data-key": k, "aria-label": `Remove ${k}` }, "Remove");
      remove.addEventListener("click", () => busy(remove, () => removeSignedKey(k)));
      return el("tr", {}, el("th", { scope: "row" }, k), el("td", { class: "value" }, String(v)), el("td", {}, remove));
    }));
  }
  const cookie = body && body.cookie ? body.cookie : "";
  byId("signed-raw").textContent = cookie || "(no cookie)";
  byId("signed-readable").textContent = body && body.readable ? body.readable : "(no cookie)";
  byId("tamper-value").value = cookie;
}

/** Reads the signed session; returns the api() result. */
async function loadSigned() {
  const res = await api("GET", "/api/signed-session");
  if (res.error) {
    if (res.error.code === "tampered_cookie") renderSigned(null);
    showError(signedFeedback, res);
  } else {
    renderSigned(res.body);
  }
  return res;
}

async function putSigned(data, done) {
  const res = await api("PUT", "/api/signed-session", { data });
  if (res.error) {
    showError(signedFeedback, res);
    return;
  }
  renderSigned(res.body);
  showOK(signedFeedback, done);
  refreshInspector();
}

async function saveSignedKey() {
  const key = byId("signed-key").value.trim();
  const value = byId("signed-value").value;
  if (key === "") {
    showError(signedFeedback, { status: 0, error: { code: "missing_key", message: "Give the field a key." } });
    byId("signed-key").focus();
    return;
  }
  await putSigned({ ...signedData, [key]: value }, `Saved ${key}. The server signed the new data and sent the whole cookie again.`);
}

async function removeSignedKey(key) {
  const data = { ...signedData };
  delete data[key];
  await putSigned(data, `Removed ${key}. The server signed what is left.`);
}

async function clearSigned() {
  const res = await api("DELETE", "/api/signed-session");
  if (res.error) {
    showError(signedFeedback, res);
    return;
  }
  renderSigned(null);
  showOK(signedFeedback, "The signed cookie is deleted (Max-Age=0).");
  refreshInspector();
}

/** Changes one character in the middle of the value to another base64 character. */
function flipOneCharacter(value) {
  if (value === "") return value;
  const i = Math.floor(value.length / 2);
  const c = value[i] === "A" ? "B" : "A";
  return value.slice(0, i) + c + value.slice(i + 1);
}

/**
 * Writes (or with value "" removes) this page's own copy of the signed
 * cookie called name: path-specific for signed_session; at Path=/ for
 * __Host-signed_session, which may have no other path.
 */
function writeTamperCookie(name, value) {
  const host = name.startsWith(HOST_PREFIX);
  const secure = location.protocol === "https:" || host ? "; Secure" : "";
  const life = value === "" ? "; Max-Age=0" : "";
  document.cookie = `${name}=${value}; Path=${host ? "/" : TAMPER_PATH}; SameSite=Strict${life}${secure}`;
}

/**
 * The name under which the server receives the signed cookie (it is
 * HttpOnly, so document.cookie cannot tell): signed_session, or
 * __Host-signed_session when the API runs with COOKIE_SECURE=true.
 */
async function signedCookieName() {
  const res = await api("GET", "/api/cookies");
  const names = res.error ? [] : (res.body.cookies || []).map((c) => c.name);
  if (names.includes(HOST_PREFIX + "signed_session")) return HOST_PREFIX + "signed_session";
  if (names.includes("signed_session")) return "signed_session";
  return location.protocol === "https:" ? HOST_PREFIX + "signed_session" : "signed_session";
}

/** Shows the tamper steps as a list in the live region. */
function showSteps(state, steps) {
  tamperFeedback.dataset.state = state;
  tamperFeedback.replaceChildren(el("ol", { class: "steps", id: "tamper-steps" }, steps.map((s) => el("li", {}, s))));
}

async function sendTampered() {
  const value = byId("tamper-value").value.trim();
  if (value === "" || !COOKIE_OCTETS.test(value)) {
    showError(tamperFeedback, { status: 0, error: { code: "invalid_cookie_value", message: value === "" ? "There is nothing to send: save some data first, or type a value." : "A cookie value cannot hold spaces, quotes, commas, semicolons or backslashes." } });
    return;
  }
  delete tamperFeedback.dataset.code;
  const steps = [];
  const name = await signedCookieName();
  if (name.startsWith(HOST_PREFIX)) {
    // A __Host- cookie lives at Path=/ only, and the real one is HttpOnly,
    // which page scripts may not overwrite: delete it through the API first.
    const del = await api("DELETE", "/api/signed-session");
    if (del.error) {
      showError(tamperFeedback, del);
      return;
    }
    writeTamperCookie(name, value);
    steps.push(`A ${name} cookie may only have Path=/, and the real one is HttpOnly, so this page cannot store a copy beside it. It asked the server to delete the real one, then stored its own ${name} with your value.`);
  } else {
    writeTamperCookie(name, value);
    steps.push(`This page stored its own ${name} with Path=${TAMPER_PATH}. For that URL the browser now sends it before the real one.`);
  }
  let refused = false;
  let state = "info";
  try {
    const res = await api("GET", "/api/signed-session");
    if (res.error && res.error.code === "tampered_cookie") {
      refused = true;
      state = "ok";
      steps.push(el("span", {}, "The server refused it: ", el("strong", {}, res.error.message), " ", el("span", { class: "code" }, `${res.status} ${res.error.code}`)));
      tamperFeedback.dataset.code = res.error.code;
    } else if (res.error) {
      state = "error";
      steps.push(el("span", {}, `The server answered an error: ${res.error.message} `, el("span", { class: "code" }, `${res.status} ${res.error.code}`)));
    } else {
      steps.push("The server accepted it: the signature still matches, so the value was not changed. Edit a character and send again.");
    }
  } finally {
    writeTamperCookie(name, "");
  }
  steps.push(`This page removed its own copy (Path=${name.startsWith(HOST_PREFIX) ? "/" : TAMPER_PATH}, Max-Age=0).`);
  const after = await api("GET", "/api/signed-session");
  if (after.error) {
    state = "error";
    steps.push(`Reading the signed session again failed: ${after.error.message} (${after.error.code})`);
  } else {
    renderSigned(after.body);
    if (refused && !after.body.cookie) {
      steps.push(`Read again: no signed cookie is left. With its refusal the server also expired the cookie (Set-Cookie: ${name}=; Max-Age=0), so forged data never lingers.`);
    } else if (refused) {
      state = "error";
      steps.push("Read again: the original signed cookie is still there; the server refused the forgery but did not expire the cookie.");
    } else {
      steps.push("Read again: the signed cookie is unchanged.");
    }
  }
  showSteps(state, steps);
  clearFeedback(signedFeedback);
  refreshInspector();
}

byId("signed-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("signed-save"), saveSignedKey);
});
byId("signed-refresh").addEventListener("click", (e) => {
  busy(e.currentTarget, async () => {
    const res = await loadSigned();
    if (!res.error) showOK(signedFeedback, "Read the signed cookie again: the signature checked out.", "info");
  });
});
byId("signed-clear").addEventListener("click", (e) => busy(e.currentTarget, clearSigned));
byId("tamper-flip").addEventListener("click", () => {
  const area = byId("tamper-value");
  const before = area.value;
  area.value = flipOneCharacter(before);
  showOK(tamperFeedback, before === "" ? "There is no cookie to change yet: save some data first." : "Changed one character in the middle. Now send it.", "info");
});
byId("tamper-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("tamper-send"), sendTampered);
});

// ---------- start ----------

syncPreferenceControls();
countVisit().then((n) => {
  if (n === null) refreshInspector();
});
loadSigned();
