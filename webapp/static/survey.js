// A rating chosen by a one-click link in the mail is saved without a second click: the page (a GET)
// never writes, so this posts the form once. Mail scanners that open links do not run scripts.
(function () {
  var form = document.getElementById("survey-form");
  if (form && form.dataset.autosubmit === "1") {
    form.dataset.autosubmit = "0";
    form.submit();
  }
})();
