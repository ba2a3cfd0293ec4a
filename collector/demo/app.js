// The demo page is a small single-page app, so Varde's SPA tracking shows.
(function () {
  var pages = {
    "/demo": null,
    "/demo/kandidater": "<h1>For kandidater</h1><p>Registrer CV-en din, så tar en rådgiver kontakt.</p>",
    "/demo/personvern": "<h1>Personvern</h1><p>Vi bruker statistikk bare i samlet form. Du kan endre eller trekke tilbake samtykket ditt når som helst.</p><p><a href='#' data-varde-open>Endre samtykke</a></p>"
  };
  var content = document.getElementById("content");
  var home = content.innerHTML;
  function show(path) {
    if (path.indexOf("/demo/stilling/") === 0) {
      content.innerHTML = "<h1>Stilling " + path.split("/").pop() + "</h1><p>Send søknad via skjemaet under.</p><p><a href='/demo' data-route='/demo'>Tilbake til stillingene</a></p>";
    } else {
      content.innerHTML = pages[path] || home;
    }
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-route]");
    if (!a) return;
    e.preventDefault();
    history.pushState({}, "", a.getAttribute("data-route"));
    show(location.pathname);
  });
  window.addEventListener("popstate", function () { show(location.pathname); });
  show(location.pathname);
})();
