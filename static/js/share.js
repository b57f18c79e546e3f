// Adds a "Copy link" button beside the share link; without JavaScript the
// link stays selectable in its field.
(function () {
  "use strict";
  var input = document.getElementById("share-link");
  if (!input || !navigator.clipboard) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = "Copy link";
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(input.value).then(function () {
      button.textContent = "Copied";
    });
  });
  input.parentNode.appendChild(button);
})();
