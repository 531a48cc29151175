// Files over the desk's limits are refused here, before the post: a post over the server's size cap is refused
// whole, and the text typed with it. The desk checks the same limits again (and types, by name), so a form
// without JavaScript still works. Used by the agent's reply and note and the customer's contact and reply forms.
(function () {
  "use strict";
  function fill(template, key, value) { return (template || "").replace("{" + key + "}", value); }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
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
