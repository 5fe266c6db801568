/* The limit form shows only the fields of the chosen target (SPU, SPG, connection point or a
 * part of the observability area). Without JavaScript every field stays visible, and the
 * server reads only the chosen target's field either way.
 */
(function () {
  "use strict";
  var kind = document.getElementById("id_target_kind");
  if (!kind) return;
  var groups = document.querySelectorAll("[data-target-field]");
  function show() {
    groups.forEach(function (group) { group.hidden = group.dataset.targetField !== kind.value; });
    // The drawing map (limit_draw.js) sizes itself when it becomes visible.
    document.dispatchEvent(new CustomEvent("limit-target-shown", { detail: kind.value }));
  }
  kind.addEventListener("change", show);
  show();
})();
