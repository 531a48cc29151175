// Deflection: while the customer writes to support, show articles that may already answer them.
// Links carry from=contact so the server can record that the visitor opened one.
(function () {
  "use strict";
  var panel = document.getElementById("deflect");
  var subject = document.getElementById("subject"), message = document.getElementById("message");
  if (!panel || !subject || !message) return;
  var list = panel.querySelector("ul"), timer = null, controller = null, last = "";

  function render(data) {
    list.textContent = "";
    var hits = data.abstained ? [] : data.results.slice(0, 5);
    hits.forEach(function (hit) {
      var li = document.createElement("li"); li.lang = hit.lang; li.dir = hit.lang === "ar" ? "rtl" : "ltr";
      var a = document.createElement("a"), parts = hit.url.split("#");
      a.href = parts[0] + (parts[0].indexOf("?") < 0 ? "?" : "&") + "from=contact" + (parts.length > 1 ? "#" + parts[1] : "");
      a.target = "_blank"; a.rel = "noopener"; a.textContent = hit.title;
      li.appendChild(a);
      if (hit.locale_fallback) {
        var badge = document.createElement("span"); badge.className = "badge";
        badge.textContent = panel.dataset.fallbackLabel; li.appendChild(badge);
      }
      if (hit.section) { var s = document.createElement("span"); s.className = "section"; s.textContent = hit.section; li.appendChild(s); }
      list.appendChild(li);
    });
    panel.hidden = hits.length === 0;
  }
  function run() {
    var text = (subject.value + " " + message.value).trim().slice(0, 500);
    if (text.length < 4 || text === last) return;
    last = text;
    if (controller) controller.abort();
    controller = new AbortController();
    var url = panel.dataset.api + (panel.dataset.api.indexOf("?") < 0 ? "?" : "&") + "limit=5&src=contact&lang=" + encodeURIComponent(panel.dataset.lang) + "&q=" + encodeURIComponent(text);
    fetch(url, { signal: controller.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data); })
      .catch(function () {});
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(run, 400); }
  // A field the server marked invalid loses its message as soon as its value is acceptable again
  // (filled in; for the email, shaped like an address): a fixed field shows no stale error.
  function clearWhenFixed(field) {
    field.addEventListener("input", function () {
      if (field.getAttribute("aria-invalid") !== "true") return;
      var value = field.value.trim();
      var ok = value.length > 0 && value.length <= field.maxLength && (field.type !== "email" || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value));
      if (!ok) return;
      var error = document.getElementById(field.id + "-error");
      if (error) error.remove();
      field.removeAttribute("aria-invalid"); field.removeAttribute("aria-describedby");
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".contact input[id], .contact textarea"), clearWhenFixed);
  // Sent back with errors: the first field in error takes the focus, and a screen reader says its label, that it is
  // invalid and its error (aria-describedby); the page opened at its top, the errors unsaid, before.
  var invalid = document.querySelector(".contact [aria-invalid=true]");
  if (invalid) invalid.focus();
  subject.addEventListener("input", schedule);
  message.addEventListener("input", schedule);
  if (subject.value) run();
})();
