/* Draw a limit polygon on the operator's observability area (Leaflet from static/vendor).
 * Clicks add corners, a double-click closes the polygon and writes it as GeoJSON into the
 * form's "area" textarea (and chooses the "area" target). The base layer: static/js/base_map.js.
 */
(function () {
  "use strict";
  var el = document.getElementById("limit-map");
  if (!el || !window.L) return;
  var textarea = document.getElementById("id_area");
  var kind = document.getElementById("id_target_kind");
  var map = GridprequalMap.create(el, { doubleClickZoom: false });
  var area = L.geoJSON(JSON.parse(el.dataset.area), { style: { color: "#0b5cab", weight: 1.5, fillOpacity: 0.06 } }).addTo(map);
  map.fitBounds(area.getBounds());
  // Hidden while another target is chosen (limit_form.js): size the map again when shown.
  document.addEventListener("limit-target-shown", function (e) {
    if (e.detail !== "area") return;
    map.invalidateSize();
    map.fitBounds(shape ? shape.getBounds() : area.getBounds());
  });
  var corners = [], shape = null;
  function redraw(closed) {
    if (shape) map.removeLayer(shape);
    if (!corners.length) { shape = null; return; }
    shape = closed ? L.polygon(corners, { color: "#b42318" }) : L.polyline(corners, { color: "#b42318", dashArray: "4 4" });
    shape.addTo(map);
  }
  map.on("click", function (e) { corners.push(e.latlng); redraw(false); });
  map.on("dblclick", function () {
    if (corners.length < 3) return;
    var ring = corners.map(function (p) { return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]; });
    ring.push(ring[0]);
    textarea.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    if (kind) kind.value = "area";
    redraw(true);
    corners = [];
  });
  var clear = document.getElementById("limit-map-clear");
  if (clear) clear.addEventListener("click", function () { corners = []; redraw(false); textarea.value = ""; });
  if (textarea && textarea.value) {
    try { shape = L.geoJSON(JSON.parse(textarea.value), { style: { color: "#b42318" } }).addTo(map); } catch (err) { /* shown by the form */ }
  }
  var hint = document.createElement("p");
  hint.className = "helptext";
  hint.textContent = el.dataset.hint;
  el.parentNode.insertBefore(hint, el.nextSibling);
})();
