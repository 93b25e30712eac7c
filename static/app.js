// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var STORE = "writeas.posts";
  var DRAFT = "writeas.draft";

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }
  function save(posts) {
    try { localStorage.setItem(STORE, JSON.stringify(posts)); } catch (e) { /* private mode */ }
  }
  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  // 1. Remember the modify token of a post this browser just published anonymously.
  each("[data-post-token]", function (el) {
    var posts = load();
    posts[el.getAttribute("data-post-id")] = el.getAttribute("data-post-token");
    save(posts);
  });

  var known = load();

  // 2. Editing: send the stored token along; drop the "you can't edit" notice when we can.
  each("[data-token-for]", function (input) {
    var token = known[input.getAttribute("data-token-for")];
    if (token) {
      input.value = token;
      each("[data-needs-token]", function (notice) { notice.hidden = true; });
    }
  });

  // 3. Offer an Edit link on posts this browser wrote.
  each("[data-edit-slot]", function (slot) {
    var id = slot.getAttribute("data-edit-slot");
    if (known[id]) {
      slot.appendChild(document.createTextNode(" · "));
      var link = document.createElement("a");
      link.href = "/" + id + "/edit";
      link.textContent = "Edit";
      link.setAttribute("data-edit-link", "");
      slot.appendChild(link);
    }
  });

  // 4. Confirm destructive actions; 5. forget deleted posts.
  each("form[data-confirm]", function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  each("form[data-forget-post]", function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      var posts = load();
      delete posts[form.getAttribute("data-forget-post")];
      save(posts);
    });
  });

  // 6. Dashboard: offer to claim posts stored in this browser; forget those now owned.
  var claim = document.getElementById("claim");
  if (claim) {
    var posts = load();
    (claim.getAttribute("data-owned-ids") || "").split(" ").forEach(function (id) {
      if (id) { delete posts[id]; }
    });
    save(posts);
    var form = document.getElementById("claim-form");
    var already = {};
    each("#claim-form input[name=id]", function (input) { already[input.value] = true; });
    Object.keys(posts).forEach(function (id) {
      if (already[id]) { return; }
      already[id] = true;
      ["id", "token"].forEach(function (name) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = name === "id" ? id : posts[id];
        form.appendChild(input);
      });
    });
    var count = Object.keys(already).length;
    each("[data-claim-count]", function (el) { el.textContent = String(count); });
    claim.hidden = count === 0;
  }

  // 7. Copy a code post to the clipboard.
  each("[data-copy]", function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      fetch(target.getAttribute("data-raw-url")).then(function (r) { return r.text(); })
        .then(function (text) { return navigator.clipboard.writeText(text); })
        .then(done, function () {
          var range = document.createRange();
          range.selectNodeContents(target);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          button.textContent = "Press Ctrl+C";
        });
    });
  });

  // 8. The editor: keep a draft, follow the chosen appearance, Ctrl/Cmd+Enter publishes.
  var editor = document.getElementById("editor");
  var body = document.getElementById("body");
  if (editor && body) {
    var drafting = body.hasAttribute("data-draft");
    if (drafting && !body.value) {
      try { body.value = localStorage.getItem(DRAFT) || ""; } catch (e) { /* ignore */ }
    }
    body.addEventListener("input", function () {
      if (drafting) { try { localStorage.setItem(DRAFT, body.value); } catch (e) { /* ignore */ } }
    });
    editor.addEventListener("submit", function () {
      if (drafting) { try { localStorage.removeItem(DRAFT); } catch (e) { /* ignore */ } }
    });
    var font = document.getElementById("font");
    if (font) {
      font.addEventListener("change", function () {
        body.className = body.className.replace(/\bfont-\w+/, "font-" + font.value);
      });
    }
    var rtl = document.getElementById("rtl");
    if (rtl) {
      rtl.addEventListener("change", function () {
        if (rtl.checked) { body.setAttribute("dir", "rtl"); } else { body.removeAttribute("dir"); }
      });
    }
    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        editor.requestSubmit();
      }
    });
  }
})();
