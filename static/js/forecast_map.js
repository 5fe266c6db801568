/* A resource's forecast map (forecasts/maps.py): its grid zones coloured by congestion level,
 * one quarter-hour at a time, chosen with a slider. Leaflet from static/vendor, no tile server
 * by default, no inline script (the config is a json_script element).
 *
 * State for tests and assistive tools: the map element carries data-ready and data-slot; each
 * zone's path carries data-zone (its code) and data-level (none, possible, likely, certain, or
 * empty where nothing is published for that quarter-hour).
 */
(function () {
  "use strict";

  var COLOURS = { none: "#43a047", possible: "#f9a825", likely: "#ef6c00", certain: "#c62828" };
  var NO_DATA = "#8a939c";

  function init(el) {
    var config = JSON.parse(document.getElementById(el.getAttribute("data-forecast-map")).textContent);
    var box = document.getElementById("forecast-slider-box");
    var slider = document.getElementById("forecast-slider");
    var output = document.getElementById("forecast-slider-time");
    var statusEl = document.querySelector("[data-map-status]");
    var map = GridprequalMap.create(el, { zoomSnap: 0.25 });
    map.setView([62.5, 16.5], 4.5);
    fetch(config.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      })
      .then(function (data) { draw(map, el, data, { box: box, slider: slider, output: output }); })
      .catch(function (err) {
        if (statusEl) statusEl.textContent = ((config.labels || {}).loadError || "Could not load the map data") + " (" + err.message + ")";
      });
  }

  function draw(map, el, data, ui) {
    var zones = [];
    var layer = L.geoJSON(data.zones, {
      style: function () { return { color: NO_DATA, weight: 2, fillOpacity: 0.35 }; },
      onEachFeature: function (f, l) {
        zones.push(l);
        l.bindTooltip(f.properties.code + " – " + f.properties.name + " (" + f.properties.system_operator + ")");
      }
    }).addTo(map);
    L.geoJSON(data.points, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: "#1d2733", weight: 1, fillColor: "#ffffff", fillOpacity: 0.9 });
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });

    function show(index) {
      zones.forEach(function (l) {
        var level = l.feature.properties.levels[index] || "";
        var colour = COLOURS[level] || NO_DATA;
        l.setStyle({ color: colour, fillColor: colour });
        var path = l.getElement();
        if (path) {
          path.setAttribute("data-zone", l.feature.properties.code);
          path.setAttribute("data-level", level);
        }
      });
      if (data.slots[index]) ui.output.textContent = data.slots[index].label;
      el.setAttribute("data-slot", String(index));
    }
    ui.slider.max = String(Math.max(0, data.slots.length - 1));
    ui.slider.value = "0";
    ui.slider.addEventListener("input", function () { show(parseInt(ui.slider.value, 10) || 0); });
    ui.box.hidden = false;
    show(0);
    el.setAttribute("data-ready", "true");
  }

  document.querySelectorAll("[data-forecast-map]").forEach(init);
})();
