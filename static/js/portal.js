// Portal enhancements (a static file: the CSP allows no inline script). Every page works without it; the
// "near me" button only appears when the browser can locate the resident.
(function () {
  "use strict";
  function nearMe(button) {
    var status = document.getElementById("near-status");
    function say(text) { if (status) { status.textContent = text; } }
    if (!("geolocation" in navigator)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      say(button.getAttribute("data-locating"));
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        // Two decimals (about 1 km) are enough to sort sites and say less about where the resident lives.
        var near = pos.coords.latitude.toFixed(2) + "," + pos.coords.longitude.toFixed(2);
        window.location.assign(button.getAttribute("data-url") + "?near=" + encodeURIComponent(near));
      }, function (err) {
        button.disabled = false;
        say(button.getAttribute(err && err.code === 1 ? "data-denied" : "data-unavailable"));
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("near-me");
    if (button) { nearMe(button); }
  });
})();
