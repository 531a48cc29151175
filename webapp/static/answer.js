// The answer card: "Did this answer your question?" is posted without leaving the page (the form
// still works without JavaScript), and on the contact form the card follows what the customer
// writes, once they pause (a settled text, not every keystroke): GET /api/v1/answer records nothing.
(function () {
  "use strict";
  var csrf = document.querySelector("meta[name=csrf-token]");
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function hidden(name, value) { var i = el("input"); i.type = "hidden"; i.name = name; i.value = value; return i; }
  function thanksNote(body) {
    var note = el("p", "answer-thanks"); note.setAttribute("role", "status");
    note.textContent = body.message || body.error || "";
    if (body.contact) {
      var link = el("a", "contact-link", body.contact_label); link.href = body.contact;
      note.appendChild(document.createTextNode(" ")); note.appendChild(link);
    }
    return note;
  }
  // After a "no": what went wrong, as the page without JavaScript asks it (the same fields, posted with
  // "no" again, which replaces the vote). Built from the answer's labels: the card may be drawn by draw().
  function followupForm(vote, followup) {
    var form = el("form", "answer-reason"); form.method = "post"; form.action = vote.action;
    ["csrf_token", "article", "anchor", "query", "generated_by", "source"].forEach(function (name) {
      var field = vote.elements.namedItem(name);
      form.appendChild(hidden(name, field ? field.value : ""));
    });
    form.appendChild(hidden("helpful", "no")); form.appendChild(hidden("followup", "1"));
    var set = el("fieldset", "vote-reasons"); set.appendChild(el("legend", null, followup.question));
    followup.reasons.forEach(function (pair) {
      var label = el("label"), radio = el("input"); radio.type = "radio"; radio.name = "reason"; radio.value = pair[0];
      label.appendChild(radio); label.appendChild(document.createTextNode(" " + pair[1])); set.appendChild(label);
    });
    form.appendChild(set);
    var label = el("label", null, followup.comment); label.htmlFor = "answer-comment"; form.appendChild(label);
    var comment = el("textarea"); comment.id = "answer-comment"; comment.name = "comment"; comment.rows = 2;
    comment.maxLength = followup.limit; comment.dir = "auto"; form.appendChild(comment);
    var send = el("button", null, followup.send); send.type = "submit"; form.appendChild(send);
    return form;
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !(form.classList.contains("answer-vote") || form.classList.contains("answer-reason"))) return;
    e.preventDefault();
    var data = new FormData(form);
    if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        var note = thanksNote(answer.body);
        if (answer.body.followup) {
          var box = el("div", "answer-followup");
          box.appendChild(note); box.appendChild(followupForm(form, answer.body.followup));
          form.replaceWith(box);
        } else {  // the follow-up's answer replaces the whole box: one thanks, not two
          var box = form.parentNode;
          (box && box.classList.contains("answer-followup") ? box : form).replaceWith(note);
        }
        // The button pressed is gone with its form: the thanks takes the focus (it fell to <body>, and a status
        // inserted with its text is not reliably said), and Tab goes on from there (to the reasons after a "no").
        note.tabIndex = -1; note.focus();
      })
      .catch(function () { form.submit(); });
  });

  var slot = document.getElementById("answer-slot");
  var subject = document.getElementById("subject"), message = document.getElementById("message");
  if (!slot || !subject || !message) return;
  var labels = JSON.parse(slot.dataset.labels), timer = null, controller = null, last = "";

  function draw(card, query) {
    var section = el("section", "answer-card"); section.id = "answer"; section.setAttribute("aria-labelledby", "answer-title");
    var kicker = el("p", "answer-kicker", labels.answer);
    if (card.other_language) { kicker.appendChild(document.createTextNode(" ")); kicker.appendChild(el("span", "badge", labels[card.lang] || card.lang)); }
    section.appendChild(kicker);
    var body = el("div", "answer-body"); body.lang = card.lang; body.dir = card.lang === "ar" ? "rtl" : "ltr";
    var title = el("h2", null, card.title); title.id = "answer-title";
    if (card.section && card.section !== card.title) { title.appendChild(document.createTextNode(" ")); title.appendChild(el("span", "answer-section", "› " + card.section)); }
    body.appendChild(title);
    card.blocks.forEach(function (block) {
      if (block.kind === "text") { block.lines.forEach(function (line) { body.appendChild(el("p", null, line)); }); return; }
      if (block.kind === "rows") {
        var wrap = el("div", "answer-table"), table = el("table"), head = el("thead"), rows = el("tbody"), top = el("tr");
        block.lines[0].split(" | ").forEach(function (cell) { var th = el("th", null, cell); th.scope = "col"; top.appendChild(th); });
        head.appendChild(top);
        block.lines.slice(1).forEach(function (line) {
          var tr = el("tr"); line.split(" | ").forEach(function (cell) { tr.appendChild(el("td", null, cell)); }); rows.appendChild(tr);
        });
        table.appendChild(head); table.appendChild(rows); wrap.appendChild(table); body.appendChild(wrap); return;
      }
      var list = el(block.kind === "steps" ? "ol" : "ul");
      block.lines.forEach(function (line) { list.appendChild(el("li", null, line)); });
      body.appendChild(list);
    });
    section.appendChild(body);
    if (card.generated_by !== "extractive") section.appendChild(el("p", "answer-note", labels.generated));
    var more = el("p", "answer-more"), link = el("a", null, labels.more);
    link.href = card.url; link.appendChild(el("span", "visually-hidden", ": " + card.title)); more.appendChild(link);
    section.appendChild(more);
    var form = el("form", "answer-vote"); form.method = "post"; form.action = slot.dataset.vote;
    form.appendChild(hidden("csrf_token", csrf ? csrf.content : ""));
    form.appendChild(hidden("article", card.lang + "/" + card.article));
    form.appendChild(hidden("anchor", card.anchor));
    form.appendChild(hidden("query", query));
    form.appendChild(hidden("generated_by", card.generated_by));
    form.appendChild(hidden("source", "contact"));
    var ask = el("span", null, labels.question); ask.id = "answer-vote-title"; form.appendChild(ask);
    var group = el("span", "vote"); group.setAttribute("role", "group"); group.setAttribute("aria-labelledby", "answer-vote-title");
    [["yes", labels.yes, ""], ["no", labels.no, "button secondary"]].forEach(function (b) {
      var button = el("button", b[2], b[1]); button.type = "submit"; button.name = "helpful"; button.value = b[0];
      group.appendChild(button);
    });
    form.appendChild(group);
    section.appendChild(form);
    slot.textContent = "";
    slot.appendChild(section);
  }
  function run() {
    var text = (subject.value + " " + message.value).trim().slice(0, 300);
    if (text.length < 4 || text === last) return;
    last = text;
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(slot.dataset.api + (slot.dataset.api.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(slot.dataset.lang) + "&q=" + encodeURIComponent(text), { signal: controller.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (data.answer) draw(data.answer, text);
        else slot.textContent = "";
      })
      .catch(function () {});
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(run, 1500); }
  subject.addEventListener("input", schedule);
  message.addEventListener("input", schedule);
  subject.addEventListener("blur", run);
  message.addEventListener("blur", run);
})();
