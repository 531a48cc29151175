{# The help widget's launcher (webapp/widget.py), for another site's pages:
   <script src="https://help.example.com/widget.js" data-lang="ar" data-position="left" data-category="billing" async></script>
   A button opens a panel framing the help center's /<lang>/widget: the page never reaches the help center's DOM or
   cookies, nor the frame this page's. Self-contained: no framework, no other request. #}
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kbHelpWidget) return;
  window.__kbHelpWidget = true;
  var LABELS = {{ labels|tojson }}, ACCENT = {{ accent|tojson }};
  var origin = new URL(script.src, window.location.href).origin;
  var lang = LABELS[script.dataset.lang] ? script.dataset.lang : {{ default_lang|tojson }};
  var text = LABELS[lang], rtl = text.dir === "rtl";
  var side = script.dataset.position === "left" || script.dataset.position === "right" ? script.dataset.position
    : (rtl ? "left" : "right");
  var category = script.dataset.category || "";
  var phone = window.matchMedia("(max-width: 600px)");

  function css(node, rules) { for (var key in rules) node.style.setProperty(key, rules[key]); return node; }

  var launcher = css(document.createElement("button"), {
    position: "fixed", bottom: "20px", "z-index": "2147483000", padding: "12px 20px", border: "0",
    "border-radius": "999px", background: ACCENT, color: "#fff", font: "600 16px/1.2 system-ui, sans-serif",
    cursor: "pointer", "box-shadow": "0 4px 14px rgba(0,0,0,.25)"
  });
  launcher.style.setProperty(side, "20px");
  launcher.type = "button";
  launcher.textContent = text.open;
  launcher.lang = lang; launcher.dir = text.dir;
  launcher.id = "kb-help-launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "kb-help-panel");

  var panel = css(document.createElement("div"), {
    position: "fixed", "z-index": "2147483001", display: "none", "flex-direction": "column", background: "#fff",
    "border-radius": "12px", overflow: "hidden", "box-shadow": "0 8px 30px rgba(0,0,0,.3)"
  });
  panel.id = "kb-help-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", text.title);
  panel.lang = lang; panel.dir = text.dir;
  var bar = css(document.createElement("div"), {
    display: "flex", "justify-content": "flex-end", padding: "4px", background: ACCENT
  });
  var close = css(document.createElement("button"), {
    border: "0", background: "transparent", color: "#fff", font: "600 15px/1 system-ui, sans-serif",
    padding: "10px 14px", cursor: "pointer"
  });
  close.type = "button";
  close.id = "kb-help-close";
  close.textContent = "\u00d7 " + text.close;
  bar.appendChild(close);
  var frame = css(document.createElement("iframe"), { border: "0", width: "100%", flex: "1", background: "#fff" });
  frame.title = text.title;
  panel.appendChild(bar);
  panel.appendChild(frame);

  function place() {
    var rules = phone.matches
      ? { top: "0", bottom: "0", left: "0", right: "0", width: "100%", height: "100%", "border-radius": "0" }
      : { top: "auto", bottom: "84px", left: "auto", right: "auto", width: "380px", height: "min(620px, calc(100vh - 110px))",
          "border-radius": "12px" };
    css(panel, rules);
    if (!phone.matches) panel.style.setProperty(side, "20px");
  }
  function isOpen() { return launcher.getAttribute("aria-expanded") === "true"; }
  function open() {
    if (!frame.src) {
      frame.src = origin + "/" + encodeURIComponent(lang) + "/widget" + (category ? "?category=" + encodeURIComponent(category) : "");
    }
    place();
    panel.style.display = "flex";
    launcher.setAttribute("aria-expanded", "true");
    if (phone.matches) launcher.style.display = "none";
    close.focus();
  }
  function shut() {
    if (!isOpen()) return;
    panel.style.display = "none";
    launcher.style.display = "";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", function () { if (isOpen()) shut(); else open(); });
  close.addEventListener("click", shut);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && isOpen()) shut(); });
  window.addEventListener("message", function (e) {
    // Only the panel's own frame, from the help center's origin, may ask to close it.
    if (e.origin === origin && e.source === frame.contentWindow && e.data && e.data.kbHelp === "close") shut();
  });
  if (phone.addEventListener) phone.addEventListener("change", function () { if (isOpen()) open(); });
  function mount() { document.body.appendChild(launcher); document.body.appendChild(panel); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
