// Keeps the count on the page fresh while it is open: polls count.json at
// most every 10 s, backs off when nothing changes or the server errs, and
// stops while the tab is hidden. Without JavaScript the page shows the count
// it was rendered with.
(function () {
  "use strict";
  var box = document.querySelector("[data-count-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-count-url");
  var value = box.querySelector(".count-value");
  var bar = box.querySelector(".count-bar");
  var goal = box.querySelector(".goal");
  var delay = 10000;
  var last = null;

  function show(data) {
    value.textContent = data.count.toLocaleString();
    if (bar) {
      bar.max = data.goal;
      bar.value = Math.min(data.count, data.goal);
      bar.textContent = Math.floor(Math.min(100, data.count * 100 / data.goal)) + "%";
    }
    if (goal) { goal.textContent = "of " + data.goal.toLocaleString() + " needed"; }
  }

  function poll() {
    if (document.hidden) { setTimeout(poll, delay); return; }
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        delay = data.count === last ? Math.min(delay * 1.5, 60000) : 10000;
        last = data.count;
        show(data);
      })
      .catch(function () { delay = Math.min(delay * 2, 120000); })
      .then(function () { setTimeout(poll, delay); });
  }
  setTimeout(poll, 2000);
})();
