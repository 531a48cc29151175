// The ticket page's time tracker (desk.time_tracking; README "Time tracking"): counts while the page is open, in
// view and the agent active (paused while the tab is hidden, and after data-idle seconds without a key, click,
// touch or scroll, as Zendesk's Time Tracking app pauses), shown as mm:ss, paused and resumed by its button, and
// corrected by typing mm:ss (or minutes) into it. Its seconds go with the next reply, note or update (the forms'
// hidden "time_spent_seconds"); the page after the post starts again from 0. Without this script each of those forms
// has a "Time spent (minutes)" field instead.
(function () {
  "use strict";
  var box = document.getElementById("timer");
  if (!box) return;
  var value = document.getElementById("timer-value");
  var toggle = document.getElementById("timer-toggle");
  var stateText = document.getElementById("timer-state");
  var idleMs = (parseInt(box.dataset.idle, 10) || 300) * 1000;
  var maxSeconds = parseInt(box.dataset.max, 10) || 86400;
  var elapsed = Math.min(maxSeconds, parseInt(box.dataset.start, 10) || 0) * 1000;  // ms counted so far
  var paused = false;      // by the agent's button
  var editing = false;     // the agent is typing a value: shown as typed, still counted
  var lastTick = Date.now();
  var lastInput = Date.now();

  function seconds() { return Math.min(maxSeconds, Math.floor(elapsed / 1000)); }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function shown(total) { return two(Math.floor(total / 60)) + ":" + two(total % 60); }
  function why() {
    if (paused) return "paused";
    if (document.visibilityState === "hidden") return "hidden";
    if (Date.now() - lastInput > idleMs) return "inactive";
    return "counting";
  }
  function draw() {
    var state = why();
    box.dataset.state = state;  // counting | paused | hidden | inactive (tests and styles read it)
    stateText.textContent = box.dataset[state] || "";
    toggle.textContent = paused ? box.dataset.resume : box.dataset.pause;
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
    if (!editing) value.value = shown(seconds());
    box.dataset.seconds = String(seconds());
  }
  function tick() {
    var now = Date.now();
    // Counted only while counting at this tick: a hidden or idle stretch adds nothing (a tick late after the tab
    // came back counts the gap only up to one tick: the browser slows timers of hidden tabs).
    if (why() === "counting") elapsed += Math.min(now - lastTick, 2000);
    elapsed = Math.min(elapsed, maxSeconds * 1000);
    lastTick = now;
    draw();
  }
  function parse(text) {
    // "mm:ss", "h:mm:ss" or minutes ("12", "1.5"); Arabic-Indic digits read as ASCII. NaN when it is none of those.
    var t = text.trim().replace(/[\u0660-\u0669]/g, function (d) { return String(d.charCodeAt(0) - 0x0660); })
      .replace(/[\u06f0-\u06f9]/g, function (d) { return String(d.charCodeAt(0) - 0x06f0); }).replace("\u066b", ".");
    if (/^\d+(\.\d+)?$/.test(t)) return Math.round(parseFloat(t) * 60);
    var parts = t.split(":");
    if (parts.length < 2 || parts.length > 3 || !parts.every(function (p) { return /^\d+$/.test(p); })) return NaN;
    var total = 0;
    parts.forEach(function (p) { total = total * 60 + parseInt(p, 10); });
    return parts[parts.length - 1].length === 2 ? total : NaN;
  }
  function active() {
    var wasIdle = why() === "inactive";
    lastInput = Date.now();
    if (wasIdle) { lastTick = lastInput; draw(); }  // the idle stretch is not counted
  }

  toggle.addEventListener("click", function () { paused = !paused; lastTick = Date.now(); draw(); });
  value.addEventListener("focus", function () { editing = true; });
  value.addEventListener("blur", function () { editing = false; draw(); });
  value.addEventListener("change", function () {
    var typed = parse(value.value);
    if (isNaN(typed) || typed < 0 || typed > maxSeconds) {
      value.setAttribute("aria-invalid", "true");
      return;
    }
    value.removeAttribute("aria-invalid");
    elapsed = typed * 1000;
    lastTick = Date.now();
    editing = false;
    draw();
  });
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, active, { passive: true, capture: true });
  });
  document.addEventListener("visibilitychange", function () { lastTick = Date.now(); draw(); });

  // The forms that carry the time: their minutes fields give way to the timer's seconds.
  document.querySelectorAll(".time-field").forEach(function (field) { field.style.display = "none"; });
  document.querySelectorAll("input.timer-seconds").forEach(function (hidden) {
    hidden.form.addEventListener("submit", function () {
      tick();
      hidden.value = seconds() > 0 ? String(seconds()) : "";
    });
  });
  box.hidden = false;
  draw();
  window.setInterval(tick, 1000);
}());
