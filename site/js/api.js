// api.js: a small fetch wrapper for the JSON API under /api/.
//
// api(method, path, body?) always resolves (it never throws) to
//   { status, ok, body, error, retryAfter }
// where body is the parsed JSON (null for 204 or an empty body) and error is
// null on success, otherwise { code, message } taken from the contract's
// error body {"error":{"code","message"}}. API Gateway's own 404 for an
// unknown route ({"message":"Not Found"}), a body that is not JSON and a
// network failure are turned into the same { code, message } shape, so a page
// has one thing to show. retryAfter is the Retry-After header in seconds
// (429 and 503 send it), or null.

/**
 * Calls the API on this origin.
 * @param {string} method HTTP method, e.g. "GET".
 * @param {string} path same-origin path starting with /api/.
 * @param {object} [body] sent as JSON with Content-Type: application/json.
 * @returns {Promise<{status:number, ok:boolean, body:any, error:({code:string,message:string}|null), retryAfter:(number|null)}>}
 */
export async function api(method, path, body) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
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
      error: {
        code: "network_error",
        message: "The server could not be reached. Check that it is running, then try again.",
      },
    };
  }
  const retryAfter = parseRetryAfter(res.headers.get("Retry-After"));
  const parsed = await readJSON(res);
  const result = { status: res.status, ok: res.ok, body: parsed.value, retryAfter, error: null };
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
