// theme-early.js: sets data-theme on <html> from the `theme` cookie before
// the page is first painted, so a dark-theme reader never sees a flash of
// the light theme. It is a classic script in <head> (a module runs only
// after parsing); theme.js does the rest once the page has loaded.
(function () {
  var m = document.cookie.match(/(?:^|;\s*)theme=(light|dark|system)(?:;|$)/);
  if (m) document.documentElement.setAttribute("data-theme", m[1]);
})();
