// Classic (non-module) script loaded in <head>: applies the remembered or the
// system theme before first paint so the page never flashes the wrong colours.
(function () {
  var theme = null;
  try { theme = localStorage.getItem('atrium-theme'); } catch (e) { /* storage blocked */ }
  if (theme !== 'light' && theme !== 'dark') {
    theme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  document.documentElement.setAttribute('data-theme', theme);
})();
