// Pickers (common/pickers.py): a text input with data-picker="<search url>" becomes an ARIA
// combobox (WAI-ARIA 1.2 pattern, list autocomplete) with suggestions from the server. Without
// this script the text is resolved on the server (code, GSRN, name or id), so the form works.
// Keys: ArrowDown/ArrowUp move through the suggestions, Enter picks, Escape closes.
(function () {
  "use strict";
  var DELAY_MS = 200;
  var counter = 0;

  function searchUrl(input) {
    var switchName = input.getAttribute("data-picker-switch");
    if (switchName && input.form) {
      var chosen = input.form.querySelector("[name='" + switchName + "']:checked") ||
        input.form.querySelector("select[name='" + switchName + "']");
      var url = chosen && input.getAttribute("data-picker-url-" + chosen.value);
      if (url) { return url; }
    }
    return input.getAttribute("data-picker");
  }

  function setUp(input) {
    var pick = input.parentNode.querySelector("input[data-picker-pick]");
    var list = document.createElement("ul");
    var status = document.createElement("span");
    var timer = null;
    var active = -1;
    var items = [];
    counter += 1;
    list.id = (input.id || "picker") + "-listbox-" + counter;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = item.label;
      if (pick) { pick.value = item.id; }
      close();
      input.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function show(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, index) {
        var option = document.createElement("li");
        var detail = document.createElement("span");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-picker-id", item.id);
        option.textContent = item.label;
        if (item.detail) {
          detail.className = "picker-detail";
          detail.textContent = item.detail;
          option.appendChild(detail);
        }
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the input
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      status.textContent = results.length
        ? (input.getAttribute("data-picker-count") || "%(count)s").replace("%(count)s", results.length)
        : (input.getAttribute("data-picker-none") || "");
      active = -1;
    }

    function fetchNow() {
      var term = input.value.trim();
      if (!term) { show([]); return; }
      var url = new URL(searchUrl(input), window.location.href);
      url.searchParams.set("q", term);
      Array.prototype.forEach.call(input.attributes, function (attr) {
        if (attr.name.indexOf("data-picker-param-") === 0) {
          url.searchParams.set(attr.name.slice("data-picker-param-".length), attr.value);
        }
      });
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (data) { if (input.value.trim() === term) { show(data.results || []); } })
        .catch(function () { show([]); });
    }

    input.addEventListener("input", function () {
      if (pick) { pick.value = ""; }  // typed text: the server resolves it unless one is picked
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchNow, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var count = items.length;
      if (event.key === "ArrowDown") {
        if (list.hidden) { fetchNow(); return; }
        event.preventDefault();
        highlight(count ? (active + 1) % count : -1);
      } else if (event.key === "ArrowUp" && !list.hidden) {
        event.preventDefault();
        highlight(count ? (active - 1 + count) % count : -1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
    var switchName = input.getAttribute("data-picker-switch");
    if (switchName && input.form) {
      input.form.addEventListener("change", function (event) {
        if (event.target.name === switchName) {
          input.value = "";
          if (pick) { pick.value = ""; }
          show([]);
        }
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-picker]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
