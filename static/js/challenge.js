// While a flood rule holds the signatures from this visitor's address or
// network (a busy NAT, a carrier, a flood next door), the server offers a
// proof of work: the ALTCHA widget (served from our own static/, no third
// party) solves it in the background and puts the solution into the form, so
// that the visitor's signature counts. For everyone else the server answers
// 204 and nothing changes. The page itself is the same for every visitor: it
// is asked once, when the visitor starts filling in the form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-challenge-url]");
  if (!form || !window.fetch || !window.Worker || !window.customElements) { return; }
  var base = form.getAttribute("data-altcha-base");
  var asked = false;

  function ask() {
    if (asked) { return; }
    asked = true;
    fetch(form.getAttribute("data-challenge-url"), { credentials: "omit", cache: "no-store" })
      .then(function (response) { return response.status === 200 ? response.json() : null; })
      .then(function (challenge) { if (challenge) { show(challenge); } })
      .catch(function () { /* no proof offered: the form posts as it is */ });
  }

  function show(challenge) {
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = base + "altcha.css";
    document.head.appendChild(style);
    import(base + "altcha.min.js").then(function () {
      // The strict-CSP build carries no worker of its own: ours is a file of this site.
      globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
        return new Worker(base + "pbkdf2.js");
      });
      var lang = (document.documentElement.lang || "en").split("-")[0];
      var words = ["hy", "ru", "fr"].indexOf(lang) >= 0 ? import(base + "i18n/" + lang + ".js") : null;
      return Promise.resolve(words).then(function () { insert(challenge); });
    }).catch(function () { /* the widget did not load: the form posts as it is */ });
  }

  function insert(challenge) {
    var widget = document.createElement("altcha-widget");
    // The field the server reads the solution from (campaign.signing.floods.PROOF_FIELD).
    widget.setAttribute("name", "altcha");
    widget.setAttribute("auto", "onload");
    widget.setAttribute("challenge", JSON.stringify(challenge));
    widget.setAttribute("configuration", JSON.stringify({ humanInteractionSignature: false }));
    var button = form.querySelector("button[type=submit]");
    button.parentNode.insertBefore(widget, button);
  }

  form.addEventListener("focusin", ask);
})();
