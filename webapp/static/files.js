// Files over the desk's limits are refused here, before the post: a post over the server's size cap is refused
// whole, and the text typed with it. The desk checks the same limits again (and types, by name), so a form
// without JavaScript still works (its file input the browser's own). Used by the agent's reply and note and the
// customer's contact and reply forms.
(function () {
  "use strict";
  function fill(template, key, value) { return (template || "").replace("{" + key + "}", value); }
  // The picker in the page's language (_file_input.html): its face shown, the native input drawn transparent over it
  // and named by the label and the face's button, described by the chosen files' names (or "No file chosen").
  function dress(input) {
    var face = input.parentNode.querySelector(".file-pick-face"), names = face && face.querySelector(".file-pick-names");
    if (!names) return function () {};
    var id = input.id;
    input.setAttribute("aria-labelledby", id + "-label " + id + "-button");
    input.setAttribute("aria-describedby", (id + "-chosen " + (input.getAttribute("aria-describedby") || "")).trim());
    face.hidden = false;
    input.closest(".file-input").classList.add("file-input-dressed");
    function show() {
      var files = Array.prototype.slice.call(input.files || []);
      names.textContent = "";
      if (!files.length) { names.textContent = names.dataset.none; return; }
      files.forEach(function (file, i) {
        if (i) names.appendChild(document.createTextNode(names.dataset.separator));
        var bdi = document.createElement("bdi");
        bdi.textContent = file.name;
        names.appendChild(bdi);
      });
    }
    show();  // a page brought back from history may keep a pick
    if (input.form) input.form.addEventListener("reset", function () { setTimeout(show); });
    return show;
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var show = dress(input);
    input.addEventListener("change", function () {
      show();
      var files = Array.prototype.slice.call(input.files || []), total = 0, problem = "";
      if (files.length > Number(input.dataset.maxCount)) problem = input.dataset.tooMany;
      files.forEach(function (file) {
        total += file.size;
        if (!problem && file.size > Number(input.dataset.maxBytes)) problem = fill(input.dataset.tooLarge, "file", file.name);
      });
      if (!problem && total > Number(input.dataset.maxTotal)) problem = input.dataset.tooMuch;
      input.setCustomValidity(problem || "");
      if (problem) input.reportValidity();
    });
  });
  // A form marked novalidate (the contact form: its errors are the server's, by field) would post anyway.
  document.addEventListener("submit", function (event) {
    var refused = event.target.querySelector && event.target.querySelector("input[type=file][data-max-bytes]:invalid");
    if (refused) { event.preventDefault(); refused.reportValidity(); }
  }, true);
})();
