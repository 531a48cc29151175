// Ticket page: insert the draft or a passage into the reply, reject the draft; each act is recorded.
(function () {
  "use strict";
  var panel = document.getElementById("draft"), reply = document.getElementById("reply-body");
  if (!panel || !reply) return;
  var token = document.querySelector("meta[name=csrf-token]").content;
  var insertedDraft = document.getElementById("inserted-draft"), citations = document.getElementById("citations");

  function send(event) {
    return fetch(panel.dataset.events, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(event)
    });
  }
  function insert(text) {
    var start = reply.selectionStart || reply.value.length;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(start);
    reply.focus();
    return reply.value;
  }
  function cite(url) {
    var input = document.createElement("input"); input.type = "hidden"; input.name = "citation"; input.value = url;
    citations.appendChild(input);
  }
  // What this view showed is recorded once per agent and advice version by this POST; the page's GET writes nothing.
  var shownDetails = document.getElementById("shown-details");
  if (shownDetails) fetch(panel.dataset.shownUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify({ version: panel.dataset.version, details: JSON.parse(shownDetails.textContent) })
  });
  var draftButton = document.getElementById("insert-draft");
  if (draftButton) draftButton.addEventListener("click", function () {
    var text = document.getElementById("draft-text").textContent;
    insertedDraft.value = insert(text);
    draftButton.dataset.citations.split(" ").filter(Boolean).forEach(cite);
    send({ kind: "inserted", what: "draft", url: draftButton.dataset.citations.split(" ")[0] || "" });
  });
  var rejectButton = document.getElementById("reject-draft");
  if (rejectButton) rejectButton.addEventListener("click", function () {
    var reason = document.getElementById("draft-reason");
    if (!reason.value.trim()) { reason.focus(); reason.setAttribute("aria-invalid", "true"); return; }
    send({ kind: "rejected", what: "draft", reason: reason.value.trim() }).then(function () {
      rejectButton.disabled = true; rejectButton.textContent = "Rejected";
    });
  });
  document.querySelectorAll(".insert-passage").forEach(function (button) {
    button.addEventListener("click", function () {
      if (button.dataset.internal === "yes" &&
          !window.confirm("This passage is from an INTERNAL article. Customers must not see internal procedures. Insert anyway?")) return;
      var text = button.parentElement.querySelector(".passage-text").value;
      insertedDraft.value = insert(text + "\n");
      if (button.dataset.internal !== "yes") cite(button.dataset.url);
      send({ kind: "inserted", what: "passage", article: button.dataset.article, url: button.dataset.url,
             rank: parseInt(button.dataset.rank, 10) });
    });
  });
  // Later edits count against the last inserted text: the server stores the edit distance on send.
})();
