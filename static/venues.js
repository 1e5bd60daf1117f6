/* 培训场地 form: the Leaflet map (vendored, static/vendor/leaflet/) fills 经度/纬度 on click and follows typed
   coordinates; 搜索地址 asks the server's geocoder proxy (/venues/geocode). Without tiles the page already says why
   the map is blank (no MAP_TILE_URL), or says so when the tile server cannot be reached. */
(function () {
  "use strict";
  var CHINA = {minLng: 73.5, maxLng: 135.1, minLat: 3.8, maxLat: 53.6};
  var DEFAULT_CENTER = [23.1291, 113.2644];  // 广州

  function $(id) { return document.getElementById(id); }

  function readCoords() {
    var lng = parseFloat(($("longitude") || {}).value);
    var lat = parseFloat(($("latitude") || {}).value);
    if (isNaN(lng) || isNaN(lat)) { return null; }
    if (lng < CHINA.minLng || lng > CHINA.maxLng || lat < CHINA.minLat || lat > CHINA.maxLat) { return null; }
    return [lat, lng];
  }

  function setCoords(lat, lng) {
    $("longitude").value = lng.toFixed(6);
    $("latitude").value = lat.toFixed(6);
  }

  function showNotice(text) {
    var notice = $("map-notice");
    if (!notice) { return; }
    $("map-notice-text").textContent = text;
    notice.hidden = false;
  }

  var map = null;
  var marker = null;

  function placeMarker(latlng, pan) {
    if (!map) { return; }
    if (marker) { marker.setLatLng(latlng); } else { marker = window.L.marker(latlng).addTo(map); }
    if (pan) { map.setView(latlng, Math.max(map.getZoom(), 15)); }
  }

  function initMap() {
    var box = $("venue-map");
    var url = box && box.getAttribute("data-tile-url");
    if (!url) { return; }  // no tile server configured: the notice is in the page already
    if (!window.L) { showNotice(box.getAttribute("data-failed-text")); return; }
    var start = readCoords();
    map = window.L.map(box, {center: start || DEFAULT_CENTER, zoom: start ? 15 : 9});
    var layer = window.L.tileLayer(url, {
      attribution: box.getAttribute("data-attribution") || "",
      subdomains: box.getAttribute("data-subdomains") || "abc",
      maxZoom: 18
    });
    var loaded = 0;
    var failed = 0;
    layer.on("tileload", function () { loaded += 1; });
    layer.on("tileerror", function () {
      failed += 1;
      if (loaded === 0 && failed >= 1) { showNotice(box.getAttribute("data-failed-text")); }
    });
    layer.addTo(map);
    if (start) { placeMarker(start, false); }
    map.on("click", function (event) {
      var p = event.latlng;
      setCoords(p.lat, p.lng);
      placeMarker([p.lat, p.lng], false);
    });
    ["longitude", "latitude"].forEach(function (id) {
      var input = $(id);
      if (input) {
        input.addEventListener("change", function () {
          var c = readCoords();
          if (c) { placeMarker(c, true); }
        });
      }
    });
  }

  function initSearch() {
    var button = $("map-search-button");
    var input = $("map-search");
    var list = $("map-search-results");
    var message = $("map-search-message");
    if (!button || !button.getAttribute("data-url")) { return; }

    function choose(place) {
      var address = $("address");
      if (address && place.address) { address.value = place.address; }
      setCoords(parseFloat(place.latitude), parseFloat(place.longitude));
      placeMarker([parseFloat(place.latitude), parseFloat(place.longitude)], true);
      list.innerHTML = "";
      message.textContent = "已填入所选地址和经纬度，请核对后保存。";
    }

    function search() {
      var q = (input.value || ($("address") || {}).value || "").trim();
      if (!q) { message.textContent = "请输入要搜索的地址"; return; }
      input.value = q;
      message.textContent = "正在搜索…";
      list.innerHTML = "";
      button.disabled = true;
      fetch(button.getAttribute("data-url") + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: {"Accept": "application/json"}
      }).then(function (response) {
        return response.json().catch(function () { return {message: "地址搜索失败，请直接填写地址和经纬度", results: []}; });
      }).then(function (data) {
        var results = data.results || [];
        message.textContent = data.message || (results.length ? "请选择一个结果：" : "");
        results.forEach(function (place) {
          var item = document.createElement("li");
          item.className = "list-group-item";
          item.textContent = place.address + "（" + place.longitude + ", " + place.latitude + "）";
          item.addEventListener("click", function () { choose(place); });
          list.appendChild(item);
        });
      }).catch(function () {
        message.textContent = "地址搜索失败，请直接填写地址和经纬度";
      }).then(function () { button.disabled = false; });
    }

    button.addEventListener("click", search);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initMap();
    initSearch();
  });
})();
