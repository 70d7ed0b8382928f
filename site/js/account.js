// account.js: register, log in and out, the current session's deadlines
// and the list of the user's sessions (account.html).
import { api } from "./api.js";
import { applyPreferences } from "./theme.js";
import { byId, el, showOK, showError, clearFeedback, busy, formatTime, formatDuration, formatWait } from "./ui.js";

const whoamiFeedback = byId("whoami-feedback");
const sessionsFeedback = byId("sessions-feedback");

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
  showDeadlines(session);
  byId("logout").hidden = !authenticated;
  byId("auth").hidden = authenticated;
  byId("sessions-section").hidden = !authenticated;
  if (authenticated) {
    loadSessions();
  } else {
    byId("sessions-list").replaceChildren();
    clearFeedback(sessionsFeedback);
  }
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

async function revokeSession(s) {
  const res = await api("DELETE", `/api/sessions/${encodeURIComponent(s.id)}`);
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
  const res = await api("DELETE", "/api/sessions");
  if (res.error) {
    fail(sessionsFeedback, res);
    return;
  }
  await loadSessions();
  showOK(sessionsFeedback, "Every other session is ended. Only this device stays logged in.");
  byId("sessions-title").focus();
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

loadWho();
