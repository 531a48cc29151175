// A time a customer reads (webapp/formatting.py's `customer_time`) comes from the server in the help center's zone,
// the zone named. Here it is rewritten in the browser's own zone, still named, in the page's language and with the
// deployment's digits (the element's data-digits: "arab" or "latn"). Without script, or without Intl, the server's
// text stands. Intl refuses dateStyle/timeStyle together with timeZoneName, so the parts are named one by one, as
// the server's patterns write them: Arabic with the month's name, English with its short name.
(function () {
  if (typeof Intl === "undefined" || !Intl.DateTimeFormat) {
    return;
  }
  var lang = document.documentElement.lang || "en";
  var formats = {};
  function format(digits) {
    if (!formats[digits]) {
      formats[digits] = new Intl.DateTimeFormat(lang, {
        year: "numeric", month: lang.slice(0, 2) === "ar" ? "long" : "short", day: "numeric",
        hour: "numeric", minute: "2-digit", timeZoneName: "short", numberingSystem: digits
      });
    }
    return formats[digits];
  }
  var times = document.querySelectorAll("time[data-customer-time]");
  for (var i = 0; i < times.length; i++) {
    var moment = new Date(times[i].getAttribute("datetime"));
    if (isNaN(moment.getTime())) {
      continue;
    }
    var shown;
    try {
      shown = format(times[i].getAttribute("data-digits") === "arab" ? "arab" : "latn").format(moment);
    } catch (e) {
      return; // an engine without these options: the server's text stands
    }
    var text = times[i].querySelector("bdi") || times[i];
    text.textContent = shown;
    times[i].setAttribute("data-zone", "browser");
  }
})();
