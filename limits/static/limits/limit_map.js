/* Show an area limit's polygon (Leaflet from static/vendor, the base layer from static/js/base_map.js). */
(function () {
  "use strict";
  var el = document.getElementById("limit-area-map");
  if (!el || !window.L) return;
  var map = GridprequalMap.create(el);
  var layer = L.geoJSON(JSON.parse(el.dataset.area), { style: { color: "#b42318", weight: 2, fillOpacity: 0.2 } }).addTo(map);
  map.fitBounds(layer.getBounds());
})();
