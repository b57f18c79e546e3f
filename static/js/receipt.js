// Checks a ledger receipt in the browser (docs/LEDGER.md): fetches the receipt's proof and the
// signed head, recomputes the leaf hash from leaf_input (SHA-256 of 0x00 || leaf_input), walks the
// audit path up to a root (RFC 9162 2.1.3.2, interior nodes SHA-256 of 0x01 || left || right), and
// compares it with the head's root. The page says which of its prepared sentences holds; it holds
// no word of any language itself. Without this script (or SubtleCrypto) the page explains the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-receipt-check]");
  if (!box) { return; }

  function show(state) {
    Array.prototype.forEach.call(box.querySelectorAll("[data-check-state]"), function (line) {
      line.hidden = line.getAttribute("data-check-state") !== state;
    });
    box.setAttribute("data-checked", state);
  }

  var subtle = window.crypto && window.crypto.subtle;
  if (!window.fetch || !subtle || !window.Uint8Array || !window.TextDecoder) {
    show("unavailable");
    return;
  }

  function bytesOf(hex) {
    if (typeof hex !== "string" || hex.length % 2 || /[^0-9a-f]/i.test(hex)) {
      throw new Error("not hex");
    }
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i += 1) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function hexOf(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (byte) {
      return (byte < 16 ? "0" : "") + byte.toString(16);
    }).join("");
  }

  // SHA-256 of a prefix byte followed by the given byte arrays.
  function hash(prefix, parts) {
    var length = 1;
    parts.forEach(function (part) { length += part.length; });
    var joined = new Uint8Array(length);
    joined[0] = prefix;
    var offset = 1;
    parts.forEach(function (part) { joined.set(part, offset); offset += part.length; });
    return subtle.digest("SHA-256", joined).then(function (digest) { return new Uint8Array(digest); });
  }

  // The root an audit path leads to from a leaf, or null if the path does not fit the tree's size.
  function rootFromPath(leafIndex, treeSize, leaf, path) {
    if (!(leafIndex >= 0 && leafIndex < treeSize)) { return Promise.resolve(null); }
    var fn = leafIndex;
    var sn = treeSize - 1;
    var step = Promise.resolve(leaf);
    var fits = true;
    path.forEach(function (sibling) {
      step = step.then(function (node) {
        if (!fits || sn === 0) { fits = false; return node; }
        var isRight = fn % 2 === 1 || fn === sn;
        var next = isRight ? hash(1, [sibling, node]) : hash(1, [node, sibling]);
        if (isRight && fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
        return next;
      });
    });
    return step.then(function (node) { return fits && sn === 0 ? node : null; });
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" }).then(function (answer) {
      if (answer.status !== 200) { throw new Error("status " + answer.status); }
      return answer.json();
    });
  }

  // Whether the entry is the add of this very receipt.
  function isOwnAdd(leafInput) {
    try {
      var entry = JSON.parse(new TextDecoder().decode(leafInput));
      return entry.event === "add" && entry.receipt === box.getAttribute("data-receipt");
    } catch (error) {
      return false;
    }
  }

  // Whether the proof leads to the head's root; a malformed proof does not.
  function check(proof, head) {
    var leafInput;
    var path;
    try {
      leafInput = bytesOf(proof.leaf_input);
      path = proof.audit_path.map(bytesOf);
    } catch (error) {
      return Promise.resolve(false);
    }
    if (!isOwnAdd(leafInput) || proof.tree_size !== head.tree_size) { return Promise.resolve(false); }
    return hash(0, [leafInput]).then(function (leaf) {
      return rootFromPath(proof.leaf_index, proof.tree_size, leaf, path);
    }).then(function (root) {
      return root !== null && hexOf(root) === String(head.root_hash).toLowerCase();
    });
  }

  show("checking");
  // The head first: a head published between the two answers makes the proof newer, never older.
  getJson(box.getAttribute("data-head-url")).then(function (head) {
    return getJson(box.getAttribute("data-receipt-url")).then(function (proof) {
      if (proof.tree_size !== head.tree_size) {
        return getJson(box.getAttribute("data-head-url")).then(function (newer) { return check(proof, newer); });
      }
      return check(proof, head);
    });
  }).then(function (holds) {
    show(holds ? "valid" : "invalid");
  }, function (error) {
    // An answer that is not JSON is a failed check; one that never came (or not 200) is not.
    show(error instanceof SyntaxError ? "invalid" : "unavailable");
  });
}());
