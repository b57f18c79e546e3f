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
  var progress = box.querySelector("[data-count-goal]");
  var shownGoal = progress ? Number(progress.getAttribute("data-count-goal")) : null;
  var delay = 10000;
  var last = null;
  // Numbers as the page's language writes them (12 345 in French and Russian).
  var language = document.documentElement.lang || undefined;
  // The server wrote the sentence in each plural form of the language (one, few, many, other)
  // in <template data-plural>, with {count} and {goal} for the numbers; the browser knows
  // which form a number takes. No word of any language is written here.
  var sentence = box.querySelector(".count");
  var forms = {};
  Array.prototype.forEach.call(box.querySelectorAll("template[data-plural]"), function (form) {
    forms[form.getAttribute("data-plural")] = form;
  });
  var rules = null;
  try { rules = new Intl.PluralRules(language); } catch (error) { rules = null; }

  function fillIn(node, count, target) {
    if (node.nodeType === 3) {
      node.nodeValue = node.nodeValue.split("{count}").join(count).split("{goal}").join(target);
      return;
    }
    Array.prototype.forEach.call(node.childNodes, function (child) { fillIn(child, count, target); });
  }

  // The whole sentence for a count, its words agreeing with the number; false if it cannot be chosen.
  function say(count, target) {
    var form = rules && (forms[rules.select(count)] || forms.other);
    if (!form || !sentence || !form.content) { return false; }
    var copy = form.content.cloneNode(true);
    fillIn(copy, count.toLocaleString(language), target.toLocaleString(language));
    while (sentence.firstChild) { sentence.removeChild(sentence.firstChild); }
    sentence.appendChild(copy);
    return true;
  }

  function show(data) {
    if (bar) {
      bar.max = data.goal;
      bar.value = Math.min(data.count, data.goal);
      bar.textContent = Math.floor(Math.min(100, data.count * 100 / data.goal)) + "%";
    }
    if (say(data.count, data.goal)) { return; }
    // Without Intl.PluralRules only the numbers are swapped: the words stay as the server wrote them.
    value.textContent = data.count.toLocaleString(language);
    // The goal sits inside a translated sentence: only its number is swapped (when the
    // browser writes it as the server did; otherwise the next page load shows the new goal).
    if (goal && shownGoal !== null && data.goal !== shownGoal) {
      goal.textContent = goal.textContent.replace(shownGoal.toLocaleString(language), data.goal.toLocaleString(language));
      shownGoal = data.goal;
    }
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
