// api.js: a small fetch wrapper for the JSON API under /api/.
//
// api(method, path, body?, options?) always resolves (it never throws) to
//   { status, ok, body, error, retryAfter, replayed }
// where body is the parsed JSON (null for 204 or an empty body) and error is
// null on success, otherwise { code, message } taken from the contract's
// error body {"error":{"code","message"}}. API Gateway's own 404 for an
// unknown route ({"message":"Not Found"}), a body that is not JSON and a
// network failure are turned into the same { code, message } shape, so a page
// has one thing to show. retryAfter is the Retry-After header in seconds
// (429 and 503 send it), or null; replayed is true when the answer carried
// Idempotent-Replayed: true.
//
// change(method, path, body?, options?) is how every page changes session
// data (the cart, the server-side visit counter): one user action, one fresh
// Idempotency-Key, and the same request with the same key again after a
// network error or a 503, so a change whose answer was lost is recognised by
// the server and applied once (API.md, "Retries: Idempotency-Key").

/**
 * Calls the API on this origin.
 * @param {string} method HTTP method, e.g. "GET".
 * @param {string} path same-origin path starting with /api/.
 * @param {object} [body] sent as JSON with Content-Type: application/json.
 * @param {{headers?: Object<string,string>}} [options] extra request headers.
 * @returns {Promise<{status:number, ok:boolean, body:any, error:({code:string,message:string}|null), retryAfter:(number|null), replayed:boolean}>}
 */
export async function api(method, path, body, options = {}) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...options.headers },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return {
      status: 0,
      ok: false,
      body: null,
      retryAfter: null,
      replayed: false,
      error: {
        code: "network_error",
        message: "The server could not be reached. Check that it is running, then try again.",
      },
    };
  }
  const retryAfter = parseRetryAfter(res.headers.get("Retry-After"));
  const parsed = await readJSON(res);
  const replayed = res.headers.get("Idempotent-Replayed") === "true";
  const result = { status: res.status, ok: res.ok, body: parsed.value, retryAfter, replayed, error: null };
  if (!parsed.ok) {
    result.ok = false;
    result.error = {
      code: "bad_response",
      message: `The server answered ${res.status} with a body that is not JSON.`,
    };
  } else if (!res.ok) {
    result.error = errorFrom(res.status, parsed.value);
  }
  return result;
}

/** Reads a response body as JSON; an empty body is null. */
async function readJSON(res) {
  if (res.status === 204) return { ok: true, value: null };
  let text;
  try {
    text = await res.text();
  } catch {
    return { ok: false, value: null };
  }
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: null };
  }
}

/** Turns an error response body into { code, message }. */
function errorFrom(status, body) {
  const e = body && typeof body === "object" ? body.error : null;
  if (e && typeof e.code === "string") {
    return { code: e.code, message: typeof e.message === "string" ? e.message : "" };
  }
  if (status === 404 && body && body.message === "Not Found") {
    return {
      code: "route_not_found",
      message: "This API route does not exist (API Gateway answered 404 Not Found).",
    };
  }
  return { code: `http_${status}`, message: `The server answered ${status}.` };
}

/** Parses Retry-After as seconds (a number or an HTTP date), or null. */
function parseRetryAfter(value) {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const when = Date.parse(value);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

// ---------- changes of session data: Idempotency-Key and retries ----------

/** How many times change() sends one action at most (the first try included). */
export const CHANGE_ATTEMPTS = 4;

/** The first wait before a retry, doubled for each further one (plus up to half of it at random). */
const RETRY_BASE_MS = 300;

/** No wait before a retry is longer, whatever Retry-After says. */
const RETRY_MAX_MS = 10_000;

/**
 * Returns a fresh Idempotency-Key: 16 random bytes (128 bits) in base64url,
 * 22 characters of A-Z a-z 0-9 - _. The server keeps only a hash of it, so
 * short is enough.
 */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether a change's answer may be retried with the same key: no answer at all, or 503. */
export function retryable(res) {
  return res.status === 0 || res.status === 503;
}

/**
 * How long to wait before retry number attempt (1 for the first retry):
 * exponential backoff with jitter, never less than the answer's
 * Retry-After, never more than RETRY_MAX_MS.
 */
export function retryDelay(res, attempt) {
  const backoff = RETRY_BASE_MS * 2 ** (attempt - 1) * (1 + Math.random() / 2);
  const asked = res.retryAfter === null ? 0 : res.retryAfter * 1000;
  return Math.min(RETRY_MAX_MS, Math.max(backoff, asked));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one user action that changes session data, with an Idempotency-Key
 * (fresh, unless options.key replays an earlier action's), and sends it
 * again with the same key after a network error or a 503, at most
 * options.attempts times in all (CHANGE_ATTEMPTS), waiting retryDelay
 * between tries. Resolves like api(), plus the key it used and how many
 * times it sent the request; replayed says the server had already applied
 * this key (a retry of a change whose answer was lost, or a deliberate
 * replay): it changed nothing.
 * @param {string} method
 * @param {string} path
 * @param {object} [body]
 * @param {{key?: string, attempts?: number}} [options]
 * @returns {Promise<{status:number, ok:boolean, body:any, error:({code:string,message:string}|null), retryAfter:(number|null), replayed:boolean, key:string, attempts:number}>}
 */
export async function change(method, path, body, options = {}) {
  const key = options.key || newIdempotencyKey();
  const attempts = options.attempts || CHANGE_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const res = await api(method, path, body, { headers: { "Idempotency-Key": key } });
    if (!retryable(res) || attempt >= attempts) return { ...res, key, attempts: attempt };
    await sleep(retryDelay(res, attempt));
  }
}
