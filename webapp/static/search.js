// As-you-type search: debounced, stale requests cancelled, arrow keys + Enter, matches highlighted.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("instant-results");
  if (!input || !list) return;
  var timer = null, controller = null, selected = -1;

  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function highlight(node, text, query) {
    var words = query.split(/\s+/).filter(function (w) { return w.length > 1; }).map(escapeRegExp);
    if (!words.length) { node.textContent = text; return; }
    var re = new RegExp("(" + words.join("|") + ")", "gi"), last = 0, m;
    while ((m = re.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mark = document.createElement("mark"); mark.textContent = m[0]; node.appendChild(mark);
      last = m.index + m[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }
  function close() { list.hidden = true; list.textContent = ""; selected = -1; input.setAttribute("aria-expanded", "false"); }
  function resultUrl(hit, data, position) {
    var parts = hit.url.split("#"), url = parts[0];
    if (data.search_id) url += "?s=" + data.search_id + "&p=" + position;
    return parts.length > 1 ? url + "#" + parts[1] : url;
  }
  function render(data, query) {
    list.textContent = "";
    if (data.abstained || !data.results.length) {
      var empty = document.createElement("li"); empty.className = "empty";
      empty.textContent = input.dataset.noResults + " ";
      var contact = document.createElement("a"); contact.className = "contact-link";
      contact.href = input.dataset.contactUrl + "?q=" + encodeURIComponent(query);
      contact.textContent = input.dataset.contactLabel; empty.appendChild(contact);
      list.appendChild(empty);
    }
    (data.abstained ? [] : data.results).slice(0, 8).forEach(function (hit, i) {
      var li = document.createElement("li"); li.setAttribute("role", "option"); li.id = "hit-" + i;
      li.lang = hit.lang; li.dir = hit.lang === "ar" ? "rtl" : "ltr";
      var a = document.createElement("a"); a.href = resultUrl(hit, data, i + 1);
      var title = document.createElement("span"); highlight(title, hit.title, query); a.appendChild(title);
      if (hit.locale_fallback) {
        var badge = document.createElement("span"); badge.className = "badge";
        badge.textContent = input.dataset.fallbackLabel; a.appendChild(badge);
      }
      if (hit.section) {
        var s = document.createElement("span"); s.className = "section"; s.textContent = hit.title + " › " + hit.section; a.appendChild(s);
      }
      li.appendChild(a); list.appendChild(li);
    });
    list.hidden = false; input.setAttribute("aria-expanded", "true");
  }
  function run() {
    var query = input.value.trim();
    if (!query) { close(); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    var url = input.dataset.api + "?limit=8&src=instant&lang=" + encodeURIComponent(input.dataset.lang) + "&q=" + encodeURIComponent(query);
    fetch(url, { signal: controller.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && input.value.trim() === query) render(data, query); })
      .catch(function (e) { if (e.name !== "AbortError") close(); });
  }
  function move(step) {
    var items = list.querySelectorAll("li[role=option]");
    if (!items.length) return;
    if (selected >= 0) items[selected].removeAttribute("aria-selected");
    selected = (selected + step + items.length) % items.length;
    items[selected].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[selected].id);
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 120); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Escape") { close(); }
    else if (e.key === "Enter" && selected >= 0) {
      e.preventDefault(); window.location = list.querySelectorAll("li[role=option] a")[selected].href;
    }
  });
  document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) close(); });
})();
