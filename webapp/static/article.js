// "Was this article helpful?": "No" shows what went wrong in place (without JavaScript it is a link to
// the same page asking it). Nothing is recorded until the reader sends the form.
(function () {
  "use strict";
  // Back from the vote at #feedback: its thanks (focusable only then) takes the focus, so it is said; once the page
  // has loaded, as the browser's scroll to #feedback (a section, not focusable) would take a focus given before.
  var thanks = document.querySelector("#feedback-title[tabindex]");
  if (thanks) {
    thanks.focus();  // now, and again once loaded: a load that waits long (a slow resource) must not leave it unsaid
    window.addEventListener("load", function () { if (document.activeElement !== thanks) thanks.focus(); });
  }
  var no = document.getElementById("vote-no");
  if (!no) return;
  no.addEventListener("click", function (e) {
    var followup = document.getElementById(no.dataset.followup);
    if (!followup) return;
    e.preventDefault();
    no.closest("form").hidden = true;
    followup.hidden = false;
    // The section's heading asks the follow-up's question, as the page without JavaScript does.
    var title = document.getElementById("feedback-title"), own = followup.querySelector(".followup-title");
    if (title && own) { title.textContent = own.textContent; own.hidden = true; }
    var first = followup.querySelector("input[type=radio]");
    if (first) first.focus();
  });
})();
