// Classic (non-module) script loaded in the portal's <head>: light or dark
// as the system prefers (app.css themes by [data-theme] on <html>), set
// before first paint and followed when the system changes. The portal has
// no theme switch of its own.
(function () {
  var query = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  function apply() {
    document.documentElement.setAttribute('data-theme', query && query.matches ? 'dark' : 'light');
  }
  apply();
  if (query && query.addEventListener) query.addEventListener('change', apply);
})();
