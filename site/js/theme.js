// theme.js: applies the `theme` and `language` cookies to the page.
//
// With COOKIE_SECURE=true the API names them `__Host-theme` and
// `__Host-language`; this module reads whichever form the browser holds.
//
// Every page loads this module. It reads document.cookie (the preference
// cookies are not HttpOnly, on purpose, so that pages can read them), sets
// data-theme and lang on <html>, and translates the few strings marked with
// data-i18n. Pages call applyPreferences() again after changing a cookie.

/** The themes the API accepts; light is its default without a cookie. */
export const THEMES = ["light", "dark", "system"];

/** The languages the API accepts; en is its default without a cookie. */
export const LANGUAGES = ["en", "fr", "de", "es"];

const STRINGS = {
  en: {
    skip: "Skip to main content",
    "nav.label": "Main",
    "nav.home": "Home",
    "nav.cookies": "Cookies",
    "nav.account": "Account",
    "nav.shop": "Shop",
    greeting: "Hello! This greeting is in English because of your language cookie.",
  },
  fr: {
    skip: "Aller au contenu principal",
    "nav.label": "Principal",
    "nav.home": "Accueil",
    "nav.cookies": "Cookies",
    "nav.account": "Compte",
    "nav.shop": "Boutique",
    greeting: "Bonjour ! Ce message est en français grâce à votre cookie de langue.",
  },
  de: {
    skip: "Zum Hauptinhalt springen",
    "nav.label": "Haupt",
    "nav.home": "Start",
    "nav.cookies": "Cookies",
    "nav.account": "Konto",
    "nav.shop": "Laden",
    greeting: "Hallo! Dieser Gruß ist auf Deutsch, weil Ihr Sprach-Cookie es so sagt.",
  },
  es: {
    skip: "Saltar al contenido principal",
    "nav.label": "Principal",
    "nav.home": "Inicio",
    "nav.cookies": "Cookies",
    "nav.account": "Cuenta",
    "nav.shop": "Tienda",
    greeting: "¡Hola! Este saludo está en español gracias a su cookie de idioma.",
  },
};

/**
 * Parses document.cookie into a list of { name, value } in the order the
 * browser gives them. Values are shown as they are (not URL-decoded).
 * @returns {{name:string, value:string}[]}
 */
export function readCookies() {
  const raw = document.cookie;
  if (!raw) return [];
  return raw.split(";").map((part) => {
    const p = part.trim();
    const eq = p.indexOf("=");
    return eq < 0 ? { name: "", value: p } : { name: p.slice(0, eq), value: p.slice(eq + 1) };
  }).filter((c) => c.name !== "" || c.value !== "");
}

/**
 * The prefix the API gives every cookie's name when it runs with
 * COOKIE_SECURE=true (in AWS): __Host-theme, __Host-visits, ... Locally,
 * over plain HTTP, the names are unprefixed.
 */
export const HOST_PREFIX = "__Host-";

/** Whether name is the API's cookie plain, in either form (plain or __Host-). */
export function isCookieOf(name, plain) {
  return name === plain || name === HOST_PREFIX + plain;
}

/**
 * Returns the name under which the browser holds the API's cookie plain:
 * the __Host- form when it has that one, else the plain form when it has
 * that, else null.
 */
export function heldName(plain) {
  const names = readCookies().map((c) => c.name);
  if (names.includes(HOST_PREFIX + plain)) return HOST_PREFIX + plain;
  return names.includes(plain) ? plain : null;
}

/**
 * Returns the value of the API's cookie plain under whichever name the
 * browser holds (the __Host- one first), or null.
 */
export function cookieValue(plain) {
  const name = heldName(plain);
  const c = name === null ? undefined : readCookies().find((x) => x.name === name);
  return c ? c.value : null;
}

/**
 * Reads the preference cookies, falling back to the API's defaults
 * (light, en) for a missing or unknown value.
 * @returns {{theme:string, language:string, fromCookie:{theme:boolean, language:boolean}}}
 */
export function currentPreferences() {
  const theme = cookieValue("theme");
  const language = cookieValue("language");
  const themeOK = THEMES.includes(theme);
  const langOK = LANGUAGES.includes(language);
  return {
    theme: themeOK ? theme : "light",
    language: langOK ? language : "en",
    fromCookie: { theme: themeOK, language: langOK },
  };
}

/** Translates key into the current language (English as a fallback). */
export function t(key) {
  const lang = document.documentElement.lang || "en";
  return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
}

/**
 * Applies the preference cookies: data-theme and lang on <html>, and the
 * text of every [data-i18n] element (and aria-label of [data-i18n-label]).
 * Translated elements get their own lang attribute, because the rest of
 * the page's content is in English (marked lang="en" on <main>).
 * @returns {{theme:string, language:string}} what was applied.
 */
export function applyPreferences() {
  const prefs = currentPreferences();
  const root = document.documentElement;
  root.dataset.theme = prefs.theme;
  root.lang = prefs.language;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
    el.lang = prefs.language;
  }
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
  return { theme: prefs.theme, language: prefs.language };
}

applyPreferences();
