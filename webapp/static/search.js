// As-you-type search: debounced, stale requests cancelled, arrow keys + Enter, matches highlighted.
// The last half-typed word is completed against the index's words (the API's `complete=1`), and
// "No article matches" is only said for a settled query. A query read as typed with the wrong keyboard layout (the
// API's `typed_query`) says so as the results page does, "Showing results for «reading»", and ends the list with the
// option "Search instead for «as typed»": the results page for it with `verbatim=1`, by the arrow keys and Enter as
// any option. Only settled searches are recorded: the
// box's query after a pause long enough to read (SETTLE_MS), when the box is left, or when a
// result is opened; Enter opens the results page, which records its own. Keystrokes never are.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("instant-results"), status = document.getElementById("instant-status");
  if (!input || !list) return;
  var counts = status ? JSON.parse(status.dataset.counts) : [];
  // The live region says how many suggestions are drawn (or that none matches); a count said once is not said
  // again while it stays the same, and the list closed empties it.
  function announce(text) { if (status && status.textContent !== text) status.textContent = text; }
  var SETTLE_MS = 1500, TYPE_MS = 120;
  var timer = null, settleTimer = null, controller = null, selected = -1;
  var shown = null;            // {query, data} on screen
  var recorded = {};           // query -> search id (a promise while the request runs)
  var csrf = document.querySelector("meta[name=csrf-token]");

  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  // One letter for one letter, so positions in the folded text are positions in the text.
  function fold(s) { return s.toLowerCase().replace(/[أإآٱ]/g, "ا").replace(/ى/g, "ي").replace(/ة/g, "ه"); }
  function highlight(node, text, query) {
    // Arabic-aware: compare folded letters (same length as the text), match a word's start.
    var words = query.split(/\s+/).map(fold).map(function (w) { return w.replace(/^(وال|بال|فال|ال|لل)/, ""); })
      .filter(function (w) { return w.length > 2; }).map(function (w) { return escapeRegExp(w.slice(0, Math.max(3, w.length - 1))); });
    if (!words.length) { node.textContent = text; return; }
    var re = new RegExp("(" + words.join("|") + ")[\\p{L}\\p{M}]*", "giu"), folded = fold(text), last = 0, m;
    while ((m = re.exec(folded)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mark = document.createElement("mark"); mark.textContent = text.slice(m.index, m.index + m[0].length); node.appendChild(mark);
      last = m.index + m[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }
  function close() { announce(""); list.hidden = true; list.textContent = ""; selected = -1; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
  function articleUrl(hit, searchId, position) {
    var parts = hit.url.split("#"), url = parts[0];
    if (searchId) url += (url.indexOf("?") < 0 ? "?" : "&") + "s=" + searchId + "&p=" + position;
    return parts.length > 1 ? url + "#" + parts[1] : url;
  }
  function quoted(parent, label, text) {
    // «query» isolated (<bdi>): a Latin query in an Arabic sentence, or the other way round, keeps its own order.
    parent.appendChild(document.createTextNode(label + " «"));
    var isolated = document.createElement("bdi"); isolated.textContent = text; parent.appendChild(isolated);
    parent.appendChild(document.createTextNode("»"));
  }
  function verbatimUrl(typed) {
    // As the results page's "Search instead for" link: the same page, the same topic, the query as typed.
    var url = new URL(input.form.action, window.location.href), category = input.form.elements.namedItem("category");
    url.searchParams.set("q", typed);
    if (category && category.value) url.searchParams.set("category", category.value);
    url.searchParams.set("verbatim", "1");
    return url.pathname + url.search;
  }
  function noResults(query) {
    var empty = document.createElement("li"); empty.className = "empty";
    empty.textContent = input.dataset.noResults + " ";
    var contact = document.createElement("a"); contact.className = "contact-link";
    contact.href = input.dataset.contactUrl + (input.dataset.contactUrl.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
    contact.textContent = input.dataset.contactLabel; empty.appendChild(contact);
    list.appendChild(empty);
  }
  function render(data, query, settled) {
    list.textContent = "";
    var hits = data.abstained ? [] : data.results.slice(0, 8);
    if (!hits.length && !settled) { close(); return; }   // still typing: say nothing yet
    // A listbox holds options only: the notices are for the eye (aria-hidden); the option below says it for all.
    if (data.typed_query) {
      var notice = document.createElement("li"); notice.className = "completion layout-notice";
      notice.setAttribute("aria-hidden", "true");
      quoted(notice, input.dataset.layoutLabel, data.completed_query || data.query); list.appendChild(notice);
    } else if (data.completed_query && data.completed_query !== query && hits.length) {
      var hint = document.createElement("li"); hint.className = "completion"; hint.setAttribute("aria-hidden", "true");
      hint.textContent = input.dataset.completionLabel + " «" + data.completed_query + "»"; hint.dir = "auto";
      list.appendChild(hint);
    }
    if (!hits.length) noResults(query);
    hits.forEach(function (hit, i) {
      // The link is the option (a[href] may take role=option): an option holding a link is nested interactive
      // content (axe), and the arrow keys move through the options by aria-activedescendant.
      var li = document.createElement("li"); li.setAttribute("role", "none");
      var a = document.createElement("a"); a.href = articleUrl(hit, recorded[query] && !recorded[query].then ? recorded[query] : null, i + 1);
      a.setAttribute("role", "option"); a.id = "hit-" + i; a.lang = hit.lang; a.dir = hit.lang === "ar" ? "rtl" : "ltr";
      a.dataset.position = i + 1;
      var title = document.createElement("span"); highlight(title, hit.title, data.completed_query || query); a.appendChild(title);
      if (hit.locale_fallback) {
        var badge = document.createElement("span"); badge.className = "badge";
        badge.textContent = input.dataset.fallbackLabel; a.appendChild(badge);
      }
      if (hit.section) {
        var s = document.createElement("span"); s.className = "section"; s.textContent = hit.title + " › " + hit.section; a.appendChild(s);
      }
      li.appendChild(a); list.appendChild(li);
    });
    if (data.typed_query) {
      var item = document.createElement("li"); item.setAttribute("role", "none");
      var instead = document.createElement("a"); instead.className = "verbatim-option"; instead.id = "verbatim-option";
      instead.setAttribute("role", "option"); instead.href = verbatimUrl(data.typed_query);
      quoted(instead, input.dataset.verbatimLabel, data.typed_query); item.appendChild(instead); list.appendChild(item);
    }
    list.hidden = false; input.setAttribute("aria-expanded", "true");
    announce(hits.length ? counts[hits.length - 1] || "" : input.dataset.noResults);
    // Drawn again (the query settled, newer results): the option the keyboard was on stays on, or none is.
    var options = list.querySelectorAll("[role=option]");
    if (selected >= options.length) { selected = -1; input.removeAttribute("aria-activedescendant"); }
    if (selected >= 0) options[selected].setAttribute("aria-selected", "true");
  }
  function record(query) {
    // One record per settled query; resolves to its search id (null when it could not be stored).
    if (!query) return Promise.resolve(null);
    if (recorded[query] !== undefined) return Promise.resolve(recorded[query]);
    var headers = { "Content-Type": "application/json" };
    if (csrf) headers["X-CSRFToken"] = csrf.content;
    var pending = fetch(input.dataset.settled, { method: "POST", headers: headers, body: JSON.stringify({ q: query }), keepalive: true, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (body) { recorded[query] = body.search_id || null; return recorded[query]; })
      .catch(function () { recorded[query] = null; return null; });
    recorded[query] = pending;
    return pending;
  }
  function settle() {
    var query = input.value.trim();
    if (!query) return;
    record(query);
    if (shown && shown.query === query) render(shown.data, query, true);
  }
  function run() {
    var query = input.value.trim();
    if (!query) { close(); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    var url = input.dataset.api + (input.dataset.api.indexOf("?") < 0 ? "?" : "&") + "limit=8&complete=1&lang=" + encodeURIComponent(input.dataset.lang) + "&q=" + encodeURIComponent(input.value);
    fetch(url, { signal: controller.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || input.value.trim() !== query) return;
        shown = { query: query, data: data };
        render(data, query, false);
      })
      .catch(function (e) { if (e.name !== "AbortError") close(); });
  }
  function move(step) {
    var items = list.querySelectorAll("[role=option]");
    if (!items.length) return;
    if (selected >= 0) items[selected].removeAttribute("aria-selected");
    // Up from the box goes to the last option (the "search instead" one, when there is one), down to the first.
    selected = selected < 0 && step < 0 ? items.length - 1 : (selected + step + items.length) % items.length;
    items[selected].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[selected].id);
  }
  function open(link) {
    var query = input.value.trim();
    record(query).then(function (id) {
      var url = new URL(link.href, window.location.href);
      if (id) { url.searchParams.set("s", id); url.searchParams.set("p", link.dataset.position); }
      window.location = url.toString();
    });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer); clearTimeout(settleTimer);
    timer = setTimeout(run, TYPE_MS);
    settleTimer = setTimeout(settle, SETTLE_MS);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    // Escape closes an open list and keeps the query (a search box's own Escape empties it: that is for a second one).
    else if (e.key === "Escape" && !list.hidden) { e.preventDefault(); close(); }
    else if (e.key === "Enter" && selected >= 0) {
      e.preventDefault();
      var option = list.querySelectorAll("[role=option]")[selected];
      // "Search instead": the results page searches and records it as typed; an article is opened as a result.
      if (option.dataset.position) open(option); else window.location = option.href;
    }
  });
  input.addEventListener("blur", function () { clearTimeout(settleTimer); if (input.value.trim()) record(input.value.trim()); });
  input.form.addEventListener("submit", function () {
    clearTimeout(settleTimer);
    // Enter searches what the box was showing results for: "refu" with "Search for «refund»" shown. A query read
    // as typed with the wrong keyboard layout (typed_query) goes as typed: the results page reads it again, says
    // "Showing results for" and links the query as typed, and the log keeps both.
    var data = shown && shown.query === input.value.trim() ? shown.data : null;
    if (data && data.completed_query && !data.typed_query) input.value = data.completed_query;
    recorded[input.value.trim()] = "page";
  });
  list.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-position]");
    if (link && !e.ctrlKey && !e.metaKey && !e.shiftKey) { e.preventDefault(); open(link); }
  });
  document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) close(); });
})();
