// Upload with a progress bar. Without JavaScript the form posts normally and
// the server renders the same per-file result list.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var box = document.getElementById("progress");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var results = document.getElementById("results");

  function show(files) {
    results.textContent = "";
    var h = document.createElement("h2");
    h.textContent = "Result per file";
    var ul = document.createElement("ul");
    ul.className = "file-results";
    files.forEach(function (f) {
      var li = document.createElement("li");
      li.className = f.ok ? "ok" : "bad";
      var b = document.createElement("strong");
      b.textContent = f.name;
      li.appendChild(b);
      li.appendChild(document.createTextNode(": " + f.message));
      ul.appendChild(li);
    });
    results.appendChild(h);
    results.appendChild(ul);
    var p = document.createElement("p");
    var a = document.createElement("a");
    a.href = "/upload";
    a.textContent = "Refresh the list of runs";
    p.appendChild(a);
    results.appendChild(p);
  }

  form.addEventListener("submit", function (ev) {
    var input = document.getElementById("files");
    if (!input.files || input.files.length === 0) return; // let the server explain
    ev.preventDefault();
    var data = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", form.elements["csrf_token"].value);
    box.hidden = false;
    bar.value = 0;
    text.textContent = "0%";
    form.querySelector("button").disabled = true;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        text.textContent = pct < 100 ? pct + "%" : "Processing…";
      }
    };
    xhr.onload = function () {
      form.querySelector("button").disabled = false;
      bar.value = 100;
      text.textContent = "Done";
      var body;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (body && body.files) {
        show(body.files);
      } else {
        show([{ name: "Upload", ok: false, message: (body && body.detail) || "The server could not take the upload (" + xhr.status + ")." }]);
      }
    };
    xhr.onerror = function () {
      form.querySelector("button").disabled = false;
      text.textContent = "Failed";
      show([{ name: "Upload", ok: false, message: "The connection failed; nothing was lost, try again." }]);
    };
    xhr.send(data);
  });
})();
