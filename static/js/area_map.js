/* Observability-area maps (Leaflet from static/vendor; the base layer from static/js/base_map.js).
 *
 * Each element with data-area-map="<id of a json_script>" becomes a map. The config holds either
 * "data" (a GeoJSON FeatureCollection) or "dataUrl" (fetched, same origin),
 * "focus" ("preview" or "point": what to zoom to) and translated "labels". A point's "colour"
 * and "mw" properties (My grid: the MW it holds) colour its marker and show in its popup.
 *
 * With "pointsUrl", the connection points are asked for the visible box each time the map
 * moves (`bbox=minlon,minlat,maxlon,maxlat&zoom=z`): the server answers single points when
 * there are few and clusters (a count at a cell's mean position) when there are many, so the
 * page never holds more than a screen's worth of markers.
 *
 * The numbers in the data stay machine-readable (GeoJSON); what the map shows of them is written
 * in the page's language (<html lang>) with Intl.NumberFormat: "1 234,5" in Swedish, "1,234.5"
 * in English, like the numbers the server writes on the page.
 */
(function () {
  "use strict";

  var TIER_COLOURS = { tso: "#b42318", regional_dso: "#9a6700", local_dso: "#0b5cab" };
  var ROLE_STYLES = {
    preview: { color: "#1f7a3a", weight: 3, fillOpacity: 0.25 },
    current: { color: "#5b6773", weight: 2, dashArray: "6 4", fillOpacity: 0.05 },
    neighbour: { weight: 1, fillOpacity: 0.06 }
  };

  function formatNumber(value, decimals) {
    if (value === undefined || value === null || value === "" || isNaN(Number(value))) return value;
    var lang = document.documentElement.lang || undefined;
    return new Intl.NumberFormat(lang, { maximumFractionDigits: decimals }).format(Number(value));
  }

  function areaStyle(props) {
    var base = { color: TIER_COLOURS[props.tier] || "#5b6773", weight: 1.5, fillOpacity: 0.08 };
    var role = ROLE_STYLES[props.role] || {};
    return Object.assign(base, role);
  }

  function popupFor(props, labels) {
    var box = document.createElement("div");
    function line(label, value, href) {
      if (value === undefined || value === null || value === "") return;
      var p = document.createElement("div");
      var b = document.createElement("strong");
      b.textContent = label + ": ";
      p.appendChild(b);
      if (href) {
        var a = document.createElement("a");
        a.href = href;
        a.textContent = value;
        p.appendChild(a);
      } else {
        p.appendChild(document.createTextNode(String(value)));
      }
      box.appendChild(p);
    }
    if (props.kind === "point") {
      line(labels.gsrn || "GSRN", props.gsrn, props.url);
      line(labels.connecting || "Connecting SO", props.system_operator);
      line(labels.mw || "MW", formatNumber(props.mw, 3));
    } else {
      line(labels.operator || "Operator", props.system_operator, props.url);
      line(labels.validFrom || "Valid from", props.valid_from);
      line(labels.area || "Area (km²)", formatNumber(props.area_km2, 1));
    }
    return box;
  }

  function draw(map, data, config, statusEl) {
    var labels = config.labels || {};
    var features = (data.features || []).slice();
    // Large areas first, so smaller ones stay on top and clickable; points last.
    features.sort(function (a, b) {
      var pa = a.properties.kind === "point" ? 1 : 0, pb = b.properties.kind === "point" ? 1 : 0;
      if (pa !== pb) return pa - pb;
      return (b.properties.area_km2 || 0) - (a.properties.area_km2 || 0);
    });
    var focus = L.featureGroup();
    var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      // Leaflet applies `style` to every vector layer, the points' circle markers too: an area's
      // style (fill opacity 0.08) would wash out a point's MW colour, so points keep their own.
      style: function (f) { return f.properties.kind === "point" ? {} : areaStyle(f.properties); },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          radius: config.focus === "point" ? 7 : 4, color: "#1d2733", weight: 1,
          fillColor: f.properties.colour || "#ffffff", fillOpacity: 0.9
        });
      },
      onEachFeature: function (f, l) {
        l.bindPopup(popupFor(f.properties, labels));
        var p = f.properties;
        if ((config.focus === "preview" && p.role === "preview") || (config.focus === "point" && p.kind === "point")) {
          focus.addLayer(l);
        }
      }
    }).addTo(map);
    var bounds = focus.getLayers().length ? focus.getBounds() : layer.getBounds();
    if (bounds.isValid()) {
      // Without animation, so the view (and data-ready below) is final at once; one point or a
      // few close together zoom to a town's scale, not the street's.
      if (config.focus === "point" && focus.getLayers().length) {
        map.setView(bounds.getCenter(), 9, { animate: false });
      } else {
        map.fitBounds(bounds, { padding: [12, 12], maxZoom: 12, animate: false });
      }
    }
    if (statusEl && data.points_total !== undefined) {
      statusEl.textContent = (labels.pointsShown || "Connection points shown: %s of %s")
        .replace("%s", formatNumber(data.points_shown, 0)).replace("%s", formatNumber(data.points_total, 0));
    }
    map.getContainer().setAttribute("data-ready", "true");
  }

  function clusterMarker(feature, latlng) {
    var count = feature.properties.count;
    var size = count < 100 ? 28 : count < 10000 ? 36 : 44;
    var label = document.createElement("span");
    label.textContent = count >= 1000 ? formatNumber(Math.round(count / 1000), 0) + "k" : formatNumber(count, 0);
    var icon = L.divIcon({ className: "map-cluster", html: label.outerHTML, iconSize: [size, size] });
    return L.marker(latlng, { icon: icon, title: String(formatNumber(count, 0)) });
  }

  function loadPoints(map, layer, config, statusEl) {
    var b = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
    var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) {
      return v.toFixed(6);
    }).join(",");
    var url = config.pointsUrl + (config.pointsUrl.indexOf("?") < 0 ? "?" : "&") +
      "bbox=" + bbox + "&zoom=" + Math.max(0, Math.min(22, Math.round(map.getZoom())));
    var el = map.getContainer();
    var request = (el._pointsRequest || 0) + 1;
    el._pointsRequest = request;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      })
      .then(function (data) {
        if (request !== el._pointsRequest) return;  // a newer move answered first
        layer.clearLayers();
        L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            if (f.properties.kind === "cluster") return clusterMarker(f, latlng);
            return L.circleMarker(latlng, { radius: 4, color: "#1d2733", weight: 1, fillColor: "#ffffff", fillOpacity: 0.9 });
          },
          onEachFeature: function (f, l) {
            if (f.properties.kind === "point") l.bindPopup(popupFor(f.properties, config.labels || {}));
          }
        }).addTo(layer);
        if (statusEl) {
          statusEl.textContent = ((config.labels || {}).pointsShown || "Connection points shown: %s of %s")
            .replace("%s", formatNumber(data.points_total, 0)).replace("%s", formatNumber(data.points_total, 0));
        }
        el.setAttribute("data-points", data.clustered ? "clusters" : "points");
        el.setAttribute("data-points-ready", String(request));
      })
      .catch(function (err) {
        if (statusEl) statusEl.textContent = ((config.labels || {}).loadError || "Could not load the map data") + " (" + err.message + ")";
      });
  }

  function init(el) {
    var config = JSON.parse(document.getElementById(el.getAttribute("data-area-map")).textContent);
    var map = GridprequalMap.create(el, { preferCanvas: true, zoomSnap: 0.25 });
    map.setView([62.5, 16.5], 4.5);
    var statusEl = document.querySelector("[data-map-status]");
    if (config.pointsUrl) {
      var pointsLayer = L.layerGroup().addTo(map);
      map.on("moveend", function () { loadPoints(map, pointsLayer, config, statusEl); });
      loadPoints(map, pointsLayer, config, statusEl);
    }
    if (config.data) {
      draw(map, config.data, config, statusEl);
    } else if (config.dataUrl) {
      fetch(config.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status + " " + r.statusText);
          return r.json();
        })
        .then(function (data) { draw(map, data, config, statusEl); })
        .catch(function (err) {
          if (statusEl) statusEl.textContent = (config.labels && config.labels.loadError || "Could not load the map data") + " (" + err.message + ")";
        });
    }
  }

  document.querySelectorAll("[data-area-map]").forEach(init);
})();
