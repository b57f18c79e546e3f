// Progressive sharing: a "Copy link" button beside the share link, and a
// "Share…" button that opens the device's own share sheet (the Web Share API)
// where the browser has one. Without JavaScript the link stays selectable in
// its field and the share links work as plain links. The labels come from
// the page, in its language.
(function () {
  "use strict";
  var box = document.querySelector("[data-share-url]");
  var input = document.getElementById("share-link");

  function label(name, fallback) {
    return (box && box.getAttribute(name)) || fallback;
  }

  if (input && navigator.clipboard) {
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "button";
    copy.textContent = label("data-copy-label", "Copy link");
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        copy.textContent = label("data-copied-label", "Copied");
      });
    });
    input.parentNode.appendChild(copy);
  }

  if (box && navigator.share) {
    var data = {
      title: box.getAttribute("data-share-title"),
      text: box.getAttribute("data-share-text"),
      url: box.getAttribute("data-share-url")
    };
    if (navigator.canShare && !navigator.canShare(data)) { return; }
    var share = document.createElement("button");
    share.type = "button";
    share.className = "button primary";
    share.textContent = label("data-share-label", "Share");
    share.addEventListener("click", function () {
      // A dismissed share sheet rejects the promise: nothing to report.
      navigator.share(data).catch(function () {});
    });
    var list = box.querySelector(".share-links");
    box.insertBefore(share, list);
  }
})();
