// Fills the letter preview in as the signer types, so they see exactly what
// will be sent; and, for routed campaigns, lists the officials their country
// and region write to. The signer's place comes from the server too: the
// letter names it in its own language, which may not be the page's. Without
// JavaScript the "Preview my letter" button shows the same, rendered by the
// server.
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

  // The signer's place as the letter names it, from the server's answer for their country and region.
  var place = "";

  var values = {
    given_name: function () { return text("given_name"); },
    family_name: function () { return text("family_name"); },
    name: function () {
      var given = text("given_name"), family = text("family_name");
      return given && family ? given + " " + family : "";
    },
    postal_code: function () { return text("postal_code"); },
    message: function () { return text("message"); },
    // Not the chosen option's text: that is in the page's language (see route).
    place: function () { return place; }
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
  // Only routed campaigns have the note: their officials follow the country and region.
  var note = preview.querySelector("[data-routing-note]");
  var url = preview.getAttribute("data-officials-url");

  // Answers can arrive out of order (country, then region, chosen quickly):
  // only the answer to the latest question may fill the preview.
  var asked = 0;

  // The officials.json address for a country and region, built with URL rather
  // than by appending "?...": the address may already hold a query (?lang=fr,
  // which url_for keeps), and the answer must be in the page's language.
  function officialsUrl(country, region) {
    var address = new URL(url, document.baseURI);
    address.searchParams.set("country", country);
    address.searchParams.set("region", region);
    return address.href;
  }

  function showOfficials(officials) {
    list.textContent = "";
    officials.forEach(function (official) {
      var item = document.createElement("li");
      item.textContent = official.name + ", " + official.title;
      list.appendChild(item);
    });
    // The sentence comes from the page, in its language.
    note.textContent = officials.length ? "" : (note.getAttribute("data-none-label") || "");
  }

  function route() {
    // An answer still on its way is about the country chosen before, and so is its place:
    // the placeholder until this question's answer.
    var question = ++asked;
    place = "";
    var country = text("country");
    if (!country || !url || !window.fetch || !window.URL) { return; }
    fetch(officialsUrl(country, text("region")), { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || question !== asked) { return; }
        place = data.place || "";
        fill();
        if (note && list) { showOfficials(data.officials); }
      })
      .catch(function () { /* the server-rendered note stays */ });
  }

  form.addEventListener("input", fill);
  form.addEventListener("change", function (event) {
    if (event.target && (event.target.name === "country" || event.target.name === "region")) { route(); }
    fill();
  });
  route();
  fill();
})();
