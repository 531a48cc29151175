// The help widget's pages in their frame (webapp/widget.py): Escape asks the embedding page to close the panel (the
// launcher then takes the focus back). The search box's own Escape closes its suggestions first.
(function () {
  "use strict";
  if (window.parent === window) return;
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || e.defaultPrevented) return;
    var list = document.getElementById("instant-results");
    if (list && !list.hidden && document.activeElement && document.activeElement.id === "q") return;
    window.parent.postMessage({ kbHelp: "close" }, "*");  // says nothing but "close": any origin may read it
  }, true);  // before the box's own handler has closed its suggestions
})();
