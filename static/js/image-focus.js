// The builder's crop previews, ahead of the server. A file chosen for upload is shown at
// once in the page's banner and the share image's crop (read as a data: address, which the
// CSP allows for images); the saved image's previews follow the focal point as the organizer
// picks it, before "Save the crop". Without JavaScript the server draws the previews after
// the upload, with the page's own classes (.image-frame.focus-top and the like).
(function () {
  "use strict";

  function followFocus() {
    var previews = document.querySelector("[data-focus-previews]");
    var choices = document.querySelectorAll("[data-focus-choice]");
    if (!previews || !choices.length) {
      return;
    }
    function show(focus) {
      var frames = previews.querySelectorAll(".image-frame");
      Array.prototype.forEach.call(frames, function (frame) {
        Array.prototype.forEach.call(choices, function (choice) {
          frame.classList.remove("focus-" + choice.getAttribute("data-focus-choice"));
        });
        frame.classList.add("focus-" + focus);
      });
    }
    Array.prototype.forEach.call(choices, function (choice) {
      choice.addEventListener("change", function () {
        if (choice.checked) {
          show(choice.getAttribute("data-focus-choice"));
        }
      });
    });
  }

  function previewUpload() {
    var input = document.querySelector("[data-upload-image]");
    var template = document.querySelector("template[data-upload-previews]");
    if (!input || !template || !window.FileReader) {
      return;
    }
    var alt = document.getElementById("image_alt");
    var shown = null;
    function forget() {
      if (shown) {
        shown.parentNode.removeChild(shown);
        shown = null;
      }
    }
    input.addEventListener("change", function () {
      forget();
      var file = input.files && input.files[0];
      if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
        return;
      }
      var reader = new FileReader();
      reader.addEventListener("load", function () {
        forget();
        shown = template.content.firstElementChild.cloneNode(true);
        Array.prototype.forEach.call(shown.querySelectorAll("img"), function (image) {
          image.src = reader.result;
          image.alt = alt ? alt.value : "";
        });
        template.parentNode.insertBefore(shown, template);
      });
      reader.readAsDataURL(file);
    });
    if (alt) {
      alt.addEventListener("input", function () {
        if (shown) {
          Array.prototype.forEach.call(shown.querySelectorAll("img"), function (image) {
            image.alt = alt.value;
          });
        }
      });
    }
  }

  followFocus();
  previewUpload();
})();
