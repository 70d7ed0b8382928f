// theme-early.js: sets data-theme on <html> from the `theme` cookie (or
// `__Host-theme`, its name when the API runs with COOKIE_SECURE=true) before
// the page is first painted, so a dark-theme reader never sees a flash of
// the light theme. It is a classic script in <head> (a module runs only
// after parsing); theme.js does the rest once the page has loaded.
(function () {
  // The API names the cookie __Host-theme when COOKIE_SECURE=true.
  var m = document.cookie.match(/(?:^|;\s*)__Host-theme=(light|dark|system)(?:;|$)/) ||
    document.cookie.match(/(?:^|;\s*)theme=(light|dark|system)(?:;|$)/);
  if (m) document.documentElement.setAttribute("data-theme", m[1]);
})();
