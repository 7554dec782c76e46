// Polls the visit's status while its compliance check runs, and reloads when a decision lands.
(function () {
  var el = document.getElementById("pending");
  if (!el || el.hidden) return;
  var url = el.dataset.statusUrl, seen = el.dataset.decision || "";
  function poll() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (!d.pending && String(d.decision || "") !== seen) { window.location.reload(); }
        else { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
