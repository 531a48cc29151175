// The agent workspace's behaviour: keyboard shortcuts, live presence and new-message notices (polling),
// macros, and recording what the agent does with the copilot's output. Every action here also works
// by mouse and, without JavaScript, by plain forms; GETs never write, so what a view records is POSTed.
(function () {
  "use strict";
  var token = (document.querySelector("meta[name=csrf-token]") || {}).content;
  var i18n = (document.getElementById("i18n") || { dataset: {} }).dataset;

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    });
  }
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function fill(template, key, value) { return (template || "").replace("{" + key + "}", value); }
  function notice(text) {
    var box = document.getElementById("live-notice");
    if (!box) return;
    box.textContent = text;  // never hidden: an empty live region is drawn as nothing (.flash.live:empty)
  }

  // ---- everywhere: shortcuts list, interface language picker -------------------------------------
  var dialog = document.getElementById("shortcuts");
  var helpButton = document.getElementById("show-shortcuts");
  function showHelp() { if (dialog && !dialog.open) dialog.showModal(); }
  if (helpButton) helpButton.addEventListener("click", showHelp);
  document.querySelectorAll("select.autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var keys = {};  // key -> action for the current page
  // Single-character keys can be turned off (WCAG 2.1.4), in the shortcuts list; the choice is kept in this browser.
  var SINGLE_KEYS = "kb-single-key-shortcuts", singleKeys = document.getElementById("single-key-shortcuts");
  function singleKeysOn() { try { return window.localStorage.getItem(SINGLE_KEYS) !== "off"; } catch (e) { return true; } }
  function showSingleKeys() {
    var on = singleKeysOn();
    document.documentElement.dataset.singleKeys = on ? "on" : "off";
    if (singleKeys) singleKeys.checked = on;
    // A control's key (aria-keyshortcuts, its <kbd>) is not announced or shown while the keys are off.
    document.querySelectorAll("[data-keyshortcut]").forEach(function (control) {
      var kbd = control.querySelector("kbd");
      if (kbd) kbd.hidden = !on;
      if (on) control.setAttribute("aria-keyshortcuts", control.dataset.keyshortcut);
      else control.removeAttribute("aria-keyshortcuts");
    });
  }
  if (singleKeys) singleKeys.addEventListener("change", function () {
    try { window.localStorage.setItem(SINGLE_KEYS, singleKeys.checked ? "on" : "off"); } catch (e) { /* kept for this page */ }
    showSingleKeys();
  });
  showSingleKeys();
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && typing(event.target) && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.documentElement.dataset.singleKeys === "off") return;
    if (event.key === "?") { event.preventDefault(); showHelp(); return; }
    var action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  // A destructive button (Mark as spam, Delete, Delete permanently) asks first, naming what it does; Cancel sends nothing.
  // The inbox's Apply asks when its action is one of them (data-confirm-spam, data-confirm-delete).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button) return;
    var action = event.target.elements.namedItem("action");
    var chosen = action && action.tagName === "SELECT" ? action.value : "";
    var question = button.dataset.confirmSubmit ||
      (chosen && button.dataset["confirm" + chosen.charAt(0).toUpperCase() + chosen.slice(1)]);
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.documentElement.dataset.keys = "on";  // shortcuts are live (tests wait for this)

  // ---- inbox: j/k/Enter/x, "/" to search, live notice of new activity ---------------------------
  var inbox = document.getElementById("inbox");
  if (inbox) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.ticket-row"));
    var current = -1;
    function select(index) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
      rows[current].querySelector("a.ticket-link").focus();
    }
    rows.forEach(function (row, i) {
      row.querySelector("a.ticket-link").addEventListener("focus", function () {
        current = i;
        rows.forEach(function (r, j) { r.classList.toggle("selected", j === i); });
      });
    });
    keys.j = function () { select(current + 1); };
    keys.k = function () { select(current - 1); };
    keys.Enter = function () { if (current >= 0) window.location = rows[current].querySelector("a.ticket-link").href; };
    // x ticks the box under the focused link: said, as the box itself is not what has the focus.
    keys.x = function () {
      if (current < 0) return;
      var box = rows[current].querySelector("input[type=checkbox]");
      if (!box) return;  // a light agent's inbox has no selection
      box.checked = !box.checked;
      notice(fill(box.checked ? i18n.ticketSelected : i18n.ticketUnselected, "id", rows[current].dataset.id));
    };
    keys["/"] = function () { document.getElementById("inbox-q").focus(); };
    keys["."] = function () { window.location.reload(); };
    var since = inbox.dataset.since;
    window.setInterval(function () {
      fetch(inbox.dataset.updates + "?since=" + encodeURIComponent(since), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.changed.length) return;
          data.changed.forEach(function (change) {
            var row = inbox.querySelector('tr[data-id="' + change.id + '"]');
            if (row) row.classList.add(change.mine ? "new-activity" : "fresh");
          });
          notice(fill(i18n.inboxNew, "count", data.changed.length));
        });
    }, 15000);
  }

  // ---- ticket page -----------------------------------------------------------------------------
  var panel = document.getElementById("draft"), reply = document.getElementById("reply-body");
  var page = document.getElementById("ticket-page");
  if (!page) return;
  // A light agent's page has no reply form (notes only): presence and live messages still run; nothing is inserted
  // (the page draws no insert buttons or macros) and typing a note is not "replying".
  var noteOnly = !reply;
  if (noteOnly) reply = document.getElementById("note-body") || document.createElement("textarea");
  var insertedDraft = document.getElementById("inserted-draft"), insertedWhat = document.getElementById("inserted-what");
  var citations = document.getElementById("citations");

  // The agent's actions are recorded in the order taken (a macro, then the draft): each record waits for
  // the one before, so two quick keystrokes cannot reach the server, and the event log, swapped.
  var recorded = Promise.resolve(), unrecorded = 0;
  function record(event) {
    function send() { return postJSON(panel.dataset.events, event); }
    unrecorded += 1;
    recorded = recorded.then(send, send);
    recorded.then(function () { unrecorded -= 1; }, function () { unrecorded -= 1; });
    return recorded;
  }
  // Sending the reply records "edited" and "sent" on the server: a reply sent right after an insert
  // (Ctrl+Enter a moment later) waits for the insert's record first, at most two seconds, so the log
  // never says "edited" before "inserted"; a failing events endpoint never holds the reply back.
  var replyForm = document.getElementById("reply-form");
  if (replyForm) replyForm.addEventListener("submit", function (event) {
    if (!unrecorded) return;
    event.preventDefault();
    var go = function () { replyForm.submit(); };
    Promise.race([recorded, new Promise(function (done) { window.setTimeout(done, 2000); })]).then(go, go);
  });
  function insert(text) {
    var start = reply.selectionStart || reply.value.length;
    // Text already before the cursor: start the insert on a new paragraph, not mid-line.
    if (start > 0 && reply.value[start - 1] !== "\n") text = "\n\n" + text;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(start);
    reply.focus();
    return reply.value;
  }
  function cite(url) {
    var input = document.createElement("input"); input.type = "hidden"; input.name = "citation"; input.value = url;
    citations.appendChild(input);
  }

  // What this view showed is recorded once per agent and advice version; the page's GET wrote nothing.
  var shownDetails = document.getElementById("shown-details");
  if (panel && shownDetails) postJSON(panel.dataset.shownUrl, {
    version: panel.dataset.version, details: JSON.parse(shownDetails.textContent)
  });

  var draftButton = document.getElementById("insert-draft");
  function insertDraft() {
    if (!draftButton) return;
    var text = document.getElementById("draft-text").textContent;
    insertedDraft.value = insert(text); insertedWhat.value = "draft";
    draftButton.dataset.citations.split(" ").filter(Boolean).forEach(cite);
    record({ kind: "inserted", what: "draft", article: draftButton.dataset.article || "",
             url: draftButton.dataset.citations.split(" ")[0] || "" });
  }
  if (draftButton) draftButton.addEventListener("click", insertDraft);
  var rejectButton = document.getElementById("reject-draft");
  if (rejectButton) rejectButton.addEventListener("click", function () {
    if (rejectButton.getAttribute("aria-disabled") === "true") return;
    var reason = document.getElementById("draft-reason");
    if (!reason.value.trim()) { reason.focus(); reason.setAttribute("aria-invalid", "true"); return; }
    record({ kind: "rejected", what: "draft", reason: reason.value.trim() }).then(function () {
      // aria-disabled, not disabled: a disabled button drops the focus to <body>; the notice says it was done.
      rejectButton.setAttribute("aria-disabled", "true"); rejectButton.textContent = rejectButton.dataset.done;
      notice(rejectButton.dataset.done);
    });
  });
  document.querySelectorAll(".insert-passage").forEach(function (button) {
    button.addEventListener("click", function () {
      if (button.dataset.internal === "yes" && !window.confirm(button.dataset.confirm)) return;
      var text = button.parentElement.querySelector(".passage-text").value;
      insertedDraft.value = insert(text + "\n"); insertedWhat.value = "passage";
      if (button.dataset.internal !== "yes") cite(button.dataset.url);
      record({ kind: "inserted", what: "passage", article: button.dataset.article, url: button.dataset.url,
               rank: parseInt(button.dataset.rank, 10) });
    });
  });

  // Macros: picked by typing their title (the list holds the ticket language's macros, filled in).
  var macroInput = document.getElementById("macro-input");
  var macros = JSON.parse((document.getElementById("macros") || { textContent: "[]" }).textContent);
  function applyMacro() {
    var wanted = macroInput.value.trim().toLowerCase();
    var macro = macros.filter(function (m) { return m.title.toLowerCase() === wanted; })[0] ||
                macros.filter(function (m) { return wanted && m.title.toLowerCase().indexOf(wanted) === 0; })[0];
    if (!macro) return false;
    macroInput.value = "";  // before the reply box takes focus: that blur fires "change" again
    insertedDraft.value = insert(macro.text); insertedWhat.value = "macro";
    document.getElementById("macro-key").value = macro.key;
    if (macro.status) document.getElementById("reply-status").value = macro.status;
    var tags = document.getElementById("macro-tags"); tags.textContent = "";
    macro.add_tags.forEach(function (tag) {
      var input = document.createElement("input"); input.type = "hidden"; input.name = "add_tag"; input.value = tag;
      tags.appendChild(input);
    });
    record({ kind: "applied", what: "macro", article: "macro:" + macro.key });
    return true;
  }
  if (macroInput) {
    macroInput.addEventListener("change", applyMacro);
    macroInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); applyMacro(); }
    });
  }

  keys.r = function () { reply.focus(); };
  keys.i = insertDraft;
  keys.n = function () { var box = document.getElementById("note-body"); if (box) box.focus(); };
  keys.m = function () { if (macroInput) macroInput.focus(); };
  keys.t = function () { var box = document.getElementById("tag-input"); if (box) box.focus(); };
  keys.u = function () { window.location = "/agent/"; };

  // Presence: every 10 s say "here (typing?)" and learn who else is here and whether anything is new.
  var lastTyped = 0, first = true;
  if (!noteOnly) reply.addEventListener("input", function () { lastTyped = Date.now(); });
  var collision = document.getElementById("collision"), fresh = document.getElementById("new-messages");
  // A message that arrived while the page is open joins the thread; since the agent now sees it,
  // it no longer counts as "crossed" when they send.
  var thread = document.querySelector("ol.thread");
  function showMessage(message) {
    if (document.getElementById("message-" + message.id)) return;
    var item = document.createElement("li"), who = document.createElement("p"), text = document.createElement("div");
    item.className = "message " + message.author + (message.internal ? " note" : "") + " live";
    item.id = "message-" + message.id;
    who.className = "who"; who.textContent = message.name + " · " + message.time;
    text.className = "text"; text.dir = "auto"; text.textContent = message.body;
    item.appendChild(who);
    if (message.body) item.appendChild(text);  // a message of files alone shows as its files, no empty bubble
    if (message.files && message.files.length) {  // its files, as the page lists them (names as text, never HTML)
      var list = document.createElement("ul");
      list.className = "attachments message-files";
      message.files.forEach(function (file) {
        var entry = document.createElement("li"), link = document.createElement("a"), name = document.createElement("bdi");
        link.href = file.url; link.setAttribute("download", ""); name.textContent = file.name;
        link.appendChild(name); entry.appendChild(link); list.appendChild(entry);
      });
      item.appendChild(list);
    }
    thread.appendChild(item);
    page.dataset.lastMessage = String(Math.max(parseInt(page.dataset.lastMessage, 10), message.id));
    var seenField = document.querySelector("#reply-form input[name=seen_message_id]");
    if (seenField) seenField.value = page.dataset.lastMessage;
  }
  function poll() {
    postJSON(page.dataset.presence, {
      replying: Date.now() - lastTyped < 20000, first: first, seen_message_id: parseInt(page.dataset.lastMessage, 10),
      waiting_for_advice: !!panel && panel.dataset.stored === "no"
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      first = false;
      if (!data) return;
      var replying = data.others.filter(function (o) { return o.replying; }).map(function (o) { return o.name; });
      var viewing = data.others.filter(function (o) { return !o.replying; }).map(function (o) { return o.name; });
      var parts = [];
      if (replying.length) parts.push(fill(i18n.replying, "names", replying.join(", ")));
      if (viewing.length) parts.push(fill(i18n.viewing, "names", viewing.join(", ")));
      collision.textContent = parts.join(" "); collision.hidden = !parts.length;
      (data.messages || []).forEach(showMessage);
      var text = data.new_customer_messages ? i18n["new"] : (data.advice_ready ? i18n.adviceReady : "");
      fresh.textContent = text;  // a live region kept in the tree, drawn as nothing while empty
    });
  }
  poll();
  window.setInterval(poll, 10000);
})();
