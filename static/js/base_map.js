/* The base layer under every map (common/maps.py, templates/partials/base_map.html).
 *
 * GridprequalMap.create(element, leafletOptions) makes the Leaflet map and puts under it either
 * the configured tiles (GRIDPREQUAL_MAP_TILE_URL, with its attribution) or, offline by default,
 * the built-in outline of countries and coasts (static/geo/base_outline.geojson, fetched once
 * per page, same origin). The map element carries data-base-layer="tiles" or "outline" once the
 * layer is there (read by tests), "none" if the outline could not be loaded.
 */
(function () {
  "use strict";

  var OUTLINE_STYLE = { color: "#a3adb8", weight: 0.8, fillColor: "#f4f1ea", fillOpacity: 1 };
  var outline = null;

  function settings() {
    var el = document.getElementById("base-map-config");
    return el ? JSON.parse(el.textContent) : {};
  }

  function loadOutline(url) {
    if (!outline) {
      outline = fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status + " " + r.statusText);
          return r.json();
        });
    }
    return outline;
  }

  function addOutline(map, config) {
    // A pane of its own below the overlays: the outline never covers an area or a point.
    var pane = map.createPane("gridprequal-base");
    pane.style.zIndex = 200;
    pane.style.pointerEvents = "none";
    var el = map.getContainer();
    loadOutline(config.outlineUrl).then(function (data) {
      L.geoJSON(data, { pane: "gridprequal-base", interactive: false, style: OUTLINE_STYLE,
                        renderer: L.svg({ pane: "gridprequal-base" }) }).addTo(map);
      if (config.outlineAttribution) map.attributionControl.addAttribution(config.outlineAttribution);
      el.setAttribute("data-base-layer", "outline");
    }).catch(function () {
      el.setAttribute("data-base-layer", "none");
    });
  }

  function create(el, options) {
    var config = settings();
    var map = L.map(el, Object.assign({ attributionControl: true }, options || {}));
    map.attributionControl.setPrefix(false);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.tileAttribution || "" }).addTo(map);
      el.setAttribute("data-base-layer", "tiles");
    } else if (config.outlineUrl) {
      addOutline(map, config);
    }
    return map;
  }

  window.GridprequalMap = { create: create, settings: settings };
})();
