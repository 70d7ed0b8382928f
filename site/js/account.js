// account.js: register, log in and out, the current session's deadlines,
// the list of the user's sessions, changing the password and deleting the
// account (account.html). Ending sessions needs a recent password check:
// when the API answers 403 reauthentication_required, a modal dialog asks
// for the password, re-authenticates and sends the request again.
import { api } from "./api.js";
import { applyPreferences } from "./theme.js";
import { byId, el, showOK, showError, clearFeedback, busy, formatTime, formatDuration, formatWait } from "./ui.js";

const whoamiFeedback = byId("whoami-feedback");
const sessionsFeedback = byId("sessions-feedback");
const passwordFeedback = byId("password-feedback");
const deleteFeedback = byId("delete-feedback");

/** The public id of this browser's session, or null. */
let currentId = null;

/** Deadlines of the current session, as epoch milliseconds, or null. */
let deadlines = null;
let ticker = 0;

/**
 * Says an API error in plain words. Each case names what happened and
 * what to do; the server's own message and code are shown below it.
 */
function plainWords(res) {
  const wait = res.retryAfter ? formatWait(res.retryAfter) : "a little while";
  switch (res.error.code) {
    case "invalid_credentials":
      return "That username and password do not match. Check both and try again.";
    case "too_many_attempts":
      return `Too many failed attempts for this username. Wait ${wait}, then try again.`;
    case "username_taken":
      return "That username is already taken. Please pick another one.";
    case "invalid_username":
      return "That username cannot be used: 3 to 32 characters, only a–z, 0–9, _ . and -.";
    case "weak_password":
      return "That password is too weak: use 8 to 128 characters, and not your username.";
    case "not_authenticated":
      return "You are not logged in any more: your session ended or was revoked. Log in again.";
    case "session_not_found":
      return "That session has already ended.";
    case "reauthentication_required":
      return "Ending sessions needs your password again: your last password check is too long ago.";
    case "store_unavailable":
      return `The session store did not answer. Nothing is half-written, but your last action may or may not have taken effect; try again in ${wait}.`;
    case "cross_origin_request":
      return "The server refused a request that looked like it came from another site.";
    default:
      return "";
  }
}

function fail(region, res) {
  showError(region, res, plainWords(res));
}

// ---------- who am I ----------

/** Updates both countdowns; called every second while there is a session. */
function tick() {
  if (!deadlines) return;
  const now = Date.now();
  for (const [id, at] of [["idle-countdown", deadlines.idle], ["absolute-countdown", deadlines.absolute]]) {
    const left = (at - now) / 1000;
    byId(id).textContent = left > 0 ? formatDuration(left) : "ended";
  }
  if (Math.min(deadlines.idle, deadlines.absolute) <= now) {
    stopTicker();
    showOK(whoamiFeedback, "The session's deadline has passed. Press Refresh: the server will treat you as logged out.", "info");
  }
}

function stopTicker() {
  if (ticker) clearInterval(ticker);
  ticker = 0;
}

function showDeadlines(session) {
  const has = Boolean(session);
  byId("deadlines").hidden = !has;
  byId("deadlines-hint").hidden = !has;
  stopTicker();
  if (!has) {
    deadlines = null;
    return;
  }
  deadlines = { idle: Date.parse(session.expiresAt), absolute: Date.parse(session.absoluteExpiresAt) };
  for (const [id, iso] of [["idle-at", session.expiresAt], ["absolute-at", session.absoluteExpiresAt]]) {
    const t = byId(id);
    t.dateTime = iso;
    t.textContent = formatTime(iso);
  }
  tick();
  ticker = setInterval(tick, 1000);
}

/** Shows who is logged in; loads the session list for a logged-in user. */
function showWho(body) {
  const status = byId("whoami-status");
  const authenticated = Boolean(body && body.authenticated && body.user);
  const session = body ? body.session : null;
  if (authenticated) {
    status.replaceChildren("Logged in as ", el("strong", { id: "whoami-username" }, body.user.username), ".");
  } else if (session) {
    status.textContent = "Not logged in, but you have an anonymous session: the server keeps your cart in it.";
  } else {
    status.textContent = "Not logged in, and you have no session: the server keeps nothing about you.";
  }
  document.body.dataset.authenticated = String(authenticated);
  currentId = session ? session.id : null;
  showDeadlines(session);
  showFreshness(authenticated ? session : null);
  byId("logout").hidden = !authenticated;
  byId("auth").hidden = authenticated;
  byId("sessions-section").hidden = !authenticated;
  byId("account-settings").hidden = !authenticated;
  if (authenticated) {
    loadSessions();
  } else {
    byId("sessions-list").replaceChildren();
    for (const region of [sessionsFeedback, passwordFeedback, deleteFeedback]) clearFeedback(region);
  }
}

/** Says until when ending sessions works without the password. */
function showFreshness(session) {
  const until = session ? session.freshUntil : null;
  byId("fresh-hint").hidden = !until;
  if (!until) return;
  const t = byId("fresh-until");
  t.dateTime = until;
  t.textContent = formatTime(until);
}

/** Asks GET /api/session; returns true when it answered. */
async function loadWho() {
  const res = await api("GET", "/api/session");
  if (res.error) {
    byId("whoami-status").textContent = "The server did not say who you are.";
    fail(whoamiFeedback, res);
    return false;
  }
  showWho(res.body);
  return true;
}

// ---------- register, log in, log out ----------

function readCredentials(prefix) {
  return {
    username: byId(`${prefix}-username`).value.trim(),
    password: byId(`${prefix}-password`).value,
  };
}

/** Checks that both fields are filled; focuses the first empty one. */
function missingField(prefix, creds, region) {
  for (const f of ["username", "password"]) {
    if (creds[f] === "") {
      showError(region, { status: 0, error: { code: "missing_field", message: `Type a ${f}.` } });
      byId(`${prefix}-${f}`).focus();
      return true;
    }
  }
  return false;
}

/** After logging in or out the forms change: move focus somewhere that stays. */
function focusWho() {
  byId("whoami-title").focus();
}

async function register() {
  const region = byId("register-feedback");
  const creds = readCredentials("register");
  if (missingField("register", creds, region)) return;
  const res = await api("POST", "/api/register", creds);
  if (res.error) {
    fail(region, res);
    return;
  }
  byId("register-password").value = "";
  clearFeedback(region);
  await loadWho();
  showOK(whoamiFeedback, `Welcome, ${res.body.user.username}! Your account exists and you are logged in with a brand-new session.`);
  focusWho();
}

async function login() {
  const region = byId("login-feedback");
  const creds = readCredentials("login");
  if (missingField("login", creds, region)) return;
  const remember = byId("login-remember").checked;
  const res = await api("POST", "/api/login", { ...creds, remember });
  if (res.error) {
    fail(region, res);
    return;
  }
  byId("login-password").value = "";
  clearFeedback(region);
  await loadWho();
  const kept = remember
    ? "Your cookie has a Max-Age now, so it survives closing the browser."
    : "Your cookie has no Max-Age: it goes when the browser closes.";
  showOK(whoamiFeedback, `Logged in as ${res.body.user.username}. The server started a new session with a new ID (any old one is ended, which stops session fixation) and kept your cart. ${kept}`);
  focusWho();
}

async function logout() {
  const res = await api("POST", "/api/logout");
  if (res.error) {
    fail(whoamiFeedback, res);
    return;
  }
  // The API answers logout with Clear-Site-Data: "cookies", which also clears
  // the theme and language cookies: apply what is left (the defaults).
  applyPreferences();
  await loadWho();
  showOK(whoamiFeedback, "Logged out. The server deleted your session record and expired your cookie.");
  focusWho();
}

// ---------- sessions ----------

/** A short description of a browser from its User-Agent. */
function describeAgent(ua) {
  if (!ua) return "Unknown browser";
  const browser = /Edg\//.test(ua) ? "Edge"
    : /Firefox\//.test(ua) ? "Firefox"
      : /HeadlessChrome\//.test(ua) ? "Headless Chrome"
        : /Chrom(e|ium)\//.test(ua) ? "Chrome"
          : /Safari\//.test(ua) ? "Safari"
            : /curl\//.test(ua) ? "curl"
              : "A browser";
  const os = /Android/.test(ua) ? "Android"
    : /iPhone|iPad/.test(ua) ? "iOS"
      : /Windows/.test(ua) ? "Windows"
        : /Mac OS X/.test(ua) ? "macOS"
          : /Linux/.test(ua) ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

function sessionItem(s) {
  const agent = describeAgent(s.userAgent);
  const revoke = el("button", {
    type: "button",
    class: "danger",
    id: `revoke-${s.id}`,
    "data-session-id": s.id,
    "aria-label": s.current ? `Revoke this device's session (logs you out here)` : `Revoke session ${s.id}, ${agent}`,
  }, s.current ? "Revoke (log out here)" : "Revoke");
  revoke.addEventListener("click", () => busy(revoke, () => revokeSession(s)));
  return el("li", { class: s.current ? "current" : null, "data-session-id": s.id, "data-current": String(Boolean(s.current)) },
    el("div", { class: "who" },
      el("p", {}, el("strong", {}, agent), s.current ? [" ", el("span", { class: "badge", id: "this-device" }, "This device")] : null),
      el("p", { class: "small muted" }, "ID ", el("code", {}, s.id), ` · started ${formatTime(s.createdAt)} · last seen ${formatTime(s.lastSeenAt)}`),
      el("p", { class: "small muted" }, `Ends by ${formatTime(s.expiresAt)} if unused, ${formatTime(s.absoluteExpiresAt)} at the latest`)),
    revoke);
}

async function loadSessions() {
  const res = await api("GET", "/api/sessions");
  if (res.error) {
    fail(sessionsFeedback, res);
    if (res.status === 401) loadWho();
    return false;
  }
  const list = res.body.sessions || [];
  list.sort((a, b) => Number(Boolean(b.current)) - Number(Boolean(a.current)) || Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt));
  byId("sessions-list").replaceChildren(...list.map(sessionItem));
  byId("revoke-others").hidden = list.length < 2;
  return true;
}

// ---------- re-authentication ----------

const dialog = byId("reauth-dialog");
const reauthFeedback = byId("reauth-feedback");
/** Settles the open dialog's promise: true once re-authenticated. */
let settleDialog = null;
/** Where focus was when the dialog opened; it goes back there. */
let dialogOpener = null;

/**
 * Asks for the password in the modal dialog and re-authenticates. Resolves
 * true once the session is fresh again, false when the user cancels
 * (Cancel or Escape).
 */
function askPassword() {
  dialogOpener = document.activeElement;
  byId("reauth-password").value = "";
  clearFeedback(reauthFeedback);
  dialog.showModal();
  byId("reauth-password").focus();
  return new Promise((resolve) => { settleDialog = resolve; });
}

/** Closes the dialog, gives focus back to where it was, and settles. */
function closeDialog(reauthenticated) {
  if (dialog.open) dialog.close();
  if (dialogOpener && dialogOpener.isConnected) dialogOpener.focus();
  const settle = settleDialog;
  settleDialog = null;
  dialogOpener = null;
  if (settle) settle(reauthenticated);
}

/** Keeps Tab and Shift+Tab inside the dialog. */
function trapFocus(e) {
  if (e.key !== "Tab") return;
  const focusable = [...dialog.querySelectorAll("input, button")].filter((n) => !n.disabled);
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

async function reauthenticate() {
  const field = byId("reauth-password");
  if (field.value === "") {
    showError(reauthFeedback, { status: 0, error: { code: "missing_field", message: "Type your password." } });
    field.focus();
    return;
  }
  const res = await api("POST", "/api/reauthenticate", { password: field.value });
  if (res.error) {
    fail(reauthFeedback, res);
    if (res.error.code === "not_authenticated") {
      closeDialog(false);
      await loadWho();
      return;
    }
    field.select();
    return;
  }
  field.value = "";
  currentId = res.body.session.id;
  showDeadlines(res.body.session);
  showFreshness(res.body.session);
  closeDialog(true);
}

/**
 * Sends a request that ends sessions (send is called again for the retry,
 * so it can pick up the session's new id). When the API asks for a fresh
 * authentication, the dialog asks for the password and, once it is right,
 * the request goes once more. Answers the last response, or null when the
 * user cancelled.
 */
async function endSessions(send) {
  const res = await send();
  if (!res.error || res.error.code !== "reauthentication_required") return res;
  if (!(await askPassword())) return null;
  return send();
}

function cancelled() {
  showOK(sessionsFeedback, "Nothing was ended: ending sessions needs your password.", "info");
}

dialog.addEventListener("keydown", trapFocus);
dialog.addEventListener("cancel", (e) => {
  e.preventDefault(); // Escape: close our way, so focus goes back
  closeDialog(false);
});
byId("reauth-cancel").addEventListener("click", () => closeDialog(false));
byId("reauth-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("reauth-submit"), reauthenticate);
});

// ---------- ending sessions ----------

async function revokeSession(s) {
  // The own session gets a new id when the dialog re-authenticates it.
  const res = await endSessions(() => api("DELETE", `/api/sessions/${encodeURIComponent(s.current ? currentId : s.id)}`));
  if (res === null) {
    cancelled();
    return;
  }
  if (res.error) {
    fail(sessionsFeedback, res);
    loadSessions();
    return;
  }
  if (s.current) {
    await loadWho();
    showOK(whoamiFeedback, "You revoked this device's own session, so you are logged out here.");
    focusWho();
    return;
  }
  await loadSessions();
  showOK(sessionsFeedback, `Session ${s.id} is ended. That browser is logged out from its next request on.`);
  byId("sessions-title").focus();
}

async function revokeOthers() {
  const res = await endSessions(() => api("DELETE", "/api/sessions"));
  if (res === null) {
    cancelled();
    return;
  }
  if (res.error) {
    fail(sessionsFeedback, res);
    return;
  }
  await loadSessions();
  showOK(sessionsFeedback, "Every other session is ended. Only this device stays logged in.");
  byId("sessions-title").focus();
}

// ---------- password change and account deletion ----------

/** The first empty field of ids, focused with a message; or null. */
function emptyField(region, fields) {
  for (const [id, what] of fields) {
    if (byId(id).value === "") {
      showError(region, { status: 0, error: { code: "missing_field", message: `Type ${what}.` } });
      byId(id).focus();
      return id;
    }
  }
  return null;
}

/** A count of sessions in words. */
function sessionsInWords(n) {
  return n === 1 ? "1 other session was" : `${n} other sessions were`;
}

async function changePassword() {
  const fields = [["password-current", "your current password"], ["password-new", "a new password"]];
  if (emptyField(passwordFeedback, fields)) return;
  const res = await api("PUT", "/api/password", {
    currentPassword: byId("password-current").value,
    newPassword: byId("password-new").value,
  });
  if (res.error) {
    const weak = res.error.code === "weak_password"
      ? "That new password cannot be used: 8 to 128 characters, not your username, and not your current password." : undefined;
    showError(passwordFeedback, res, weak || plainWords(res));
    if (res.error.code === "not_authenticated") await loadWho();
    else byId(weak ? "password-new" : "password-current").focus();
    return;
  }
  for (const [id] of fields) byId(id).value = "";
  await loadWho();
  const n = res.body.endedSessions;
  const ended = n === 0 ? "You had no other session to end." : `${sessionsInWords(n)} ended, so whoever used them is logged out.`;
  showOK(passwordFeedback, `Your password is changed: the old one no longer works. ${ended} This browser stays logged in, under a new session ID.`);
  byId("password-title").focus();
}

async function deleteAccount() {
  if (emptyField(deleteFeedback, [["delete-password", "your password"]])) return;
  const confirm = byId("delete-confirm");
  if (!confirm.checked) {
    showError(deleteFeedback, { status: 0, error: { code: "not_confirmed", message: "Tick the box to confirm that you want the account gone." } });
    confirm.focus();
    return;
  }
  const res = await api("DELETE", "/api/account", { password: byId("delete-password").value });
  if (res.error) {
    fail(deleteFeedback, res);
    if (res.error.code === "not_authenticated") await loadWho();
    else byId("delete-password").focus();
    return;
  }
  byId("delete-password").value = "";
  confirm.checked = false;
  await loadWho();
  showOK(whoamiFeedback, "Your account is deleted and every one of its sessions is ended, this one too. The username is free to register again.");
  focusWho();
}

// ---------- wire up ----------

byId("register-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("register-submit"), register);
});
byId("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("login-submit"), login);
});
byId("logout").addEventListener("click", (e) => busy(e.currentTarget, logout));
byId("whoami-refresh").addEventListener("click", (e) => {
  busy(e.currentTarget, async () => {
    if (await loadWho()) showOK(whoamiFeedback, "Asked the server again.", "info");
  });
});
byId("sessions-refresh").addEventListener("click", (e) => {
  busy(e.currentTarget, async () => {
    if (await loadSessions()) showOK(sessionsFeedback, "The list is up to date.", "info");
  });
});
byId("revoke-others").addEventListener("click", (e) => busy(e.currentTarget, revokeOthers));
byId("password-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("password-submit"), changePassword);
});
byId("delete-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy(byId("delete-submit"), deleteAccount);
});

loadWho();
