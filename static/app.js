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

  // 9. Images: the button, a drop or a paste uploads; the Markdown goes in at the cursor.
  var imageForm = document.getElementById("image-upload");
  if (editor && body && imageForm) {
    var fileInput = document.getElementById("image-file");
    var altInput = document.getElementById("image-alt");
    var button = document.getElementById("image-button");
    var status = document.getElementById("image-status");
    var csrf = editor.querySelector("input[name=csrf_token]").value;
    var uploads = 0;
    each("[data-image-hint]", function (hint) { hint.hidden = false; });

    var insert = function (text, start, end) {
      body.value = body.value.slice(0, start) + text + body.value.slice(end);
      body.selectionStart = body.selectionEnd = start + text.length;
      body.dispatchEvent(new Event("input"));
    };
    var errorOf = function (response) {
      return response.text().then(function (page) {
        var found = new DOMParser().parseFromString(page, "text/html")
          .querySelector(".error-page p");
        return found ? found.textContent : "The upload failed (" + response.status + ").";
      });
    };
    var upload = function (file, alt) {
      uploads += 1;
      var marker = "![Uploading image " + uploads + "…]()";
      var start = body.selectionStart, end = body.selectionEnd;
      var before = body.value.slice(0, start);
      var gap = before && !/\n$/.test(before) ? "\n" : "";
      insert(gap + marker, start, end);
      status.textContent = "Uploading " + (file.name || "image") + "…";
      var data = new FormData();
      data.append("csrf_token", csrf);
      data.append("image", file);
      data.append("alt_text", alt);
      var replace = function (text) {
        var at = body.value.indexOf(marker);
        if (at !== -1) { insert(text, at, at + marker.length); }
      };
      return fetch(button.getAttribute("formaction"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { return errorOf(response).then(function (m) { throw new Error(m); }); }
        return response.json();
      }).then(function (image) {
        replace(image.markdown);
        status.textContent = "Image added.";
      }, function (error) {
        replace("");
        status.textContent = error.message;
      });
    };
    var askAlt = function () {
      var alt = altInput.value.trim();
      if (alt) { altInput.value = ""; return alt; }
      return window.prompt("Describe the image for people who can't see it (alt text):", "");
    };
    var uploadFiles = function (files) {
      var found = false;
      Array.prototype.forEach.call(files, function (file) {
        if (!/^image\//.test(file.type)) { return; }
        found = true;
        var alt = askAlt();
        if (alt !== null) { upload(file, alt); }
      });
      return found;
    };
    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (!fileInput.files.length) { status.textContent = "Choose an image first."; return; }
      uploadFiles(fileInput.files);
      fileInput.value = "";
    });
    body.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (files && files.length && uploadFiles(files)) { event.preventDefault(); }
    });
    body.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
        event.preventDefault();
      }
    });
    body.addEventListener("drop", function (event) {
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length && uploadFiles(files)) { event.preventDefault(); }
    });
  }
})();
