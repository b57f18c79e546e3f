// Fills the letter preview in as the signer types, so they see exactly what
// will be sent; and, for routed campaigns, lists the officials their country
// and region write to. Without JavaScript the "Preview my letter" button
// shows the same, rendered by the server.
(function () {
  "use strict";
  var preview = document.querySelector("[data-letter-preview]");
  if (!preview) { return; }
  var form = preview.closest("form");
  if (!form) { return; }

  function input(name) { return form.elements.namedItem(name); }
  function text(name) {
    var element = input(name);
    return element && element.value ? element.value.trim() : "";
  }
  function chosen(name) {
    var element = input(name);
    if (!element || !element.value || element.selectedIndex < 0) { return ""; }
    return element.options[element.selectedIndex].text;
  }

  var values = {
    given_name: function () { return text("given_name"); },
    family_name: function () { return text("family_name"); },
    name: function () {
      var given = text("given_name"), family = text("family_name");
      return given && family ? given + " " + family : "";
    },
    postal_code: function () { return text("postal_code"); },
    message: function () { return text("message"); },
    place: function () {
      var region = chosen("region"), country = chosen("country");
      if (region) { return region; }
      return country;
    }
  };

  var slots = preview.querySelectorAll("[data-slot]");
  Array.prototype.forEach.call(slots, function (slot) {
    slot.setAttribute("data-placeholder", slot.textContent);
  });

  function fill() {
    Array.prototype.forEach.call(slots, function (slot) {
      var compute = values[slot.getAttribute("data-slot")];
      if (!compute) { return; }
      var value = compute();
      if (slot.getAttribute("data-slot") === "message" && !input("message")) { return; }
      slot.textContent = value || slot.getAttribute("data-placeholder");
    });
  }

  var list = preview.querySelector("[data-officials]");
  var note = preview.querySelector("[data-routing-note]");
  var url = preview.getAttribute("data-officials-url");

  // Answers can arrive out of order (country, then region, chosen quickly):
  // only the answer to the latest question may fill the list.
  var asked = 0;

  function route() {
    if (!note || !list || !window.fetch) { return; }
    var country = text("country");
    if (!country) { return; }
    var query = "?country=" + encodeURIComponent(country) + "&region=" + encodeURIComponent(text("region"));
    var question = ++asked;
    fetch(url + query, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || question !== asked) { return; }
        list.textContent = "";
        data.officials.forEach(function (official) {
          var item = document.createElement("li");
          item.textContent = official.name + ", " + official.title;
          list.appendChild(item);
        });
        // The sentence comes from the page, in its language.
        note.textContent = data.officials.length ? "" : (note.getAttribute("data-none-label") || "");
      })
      .catch(function () { /* the server-rendered note stays */ });
  }

  form.addEventListener("input", fill);
  form.addEventListener("change", function (event) {
    fill();
    if (event.target && (event.target.name === "country" || event.target.name === "region")) { route(); }
  });
  fill();
  route();
})();
