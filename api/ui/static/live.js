// Live pages: when something a page shows changes, fetch the page again and swap the regions
// marked `data-live` (each with an id). The server renders once; this file only moves HTML.
//
// A page names what it follows in <body data-live-resources="prefect.flow-run.<id> …">
// (server-sent events from /ui/live), or asks for a plain refresh every N seconds with
// <body data-live-poll="N"> where no event tells of a change (queue depths, deliveries).
"use strict";

(function () {
  const MIN_GAP_MS = 1000; // at most one refresh a second, however many events arrive
  let pending = null;
  let lastRefresh = 0;

  async function refresh() {
    pending = null;
    lastRefresh = Date.now();
    const response = await fetch(window.location.href, { headers: { "X-Signalbox-Live": "1" } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const focused = document.activeElement && document.activeElement.id;
    for (const region of document.querySelectorAll("[data-live][id]")) {
      const replacement = fresh.getElementById(region.id);
      if (replacement && replacement.innerHTML !== region.innerHTML) {
        region.replaceWith(document.importNode(replacement, true));
      }
    }
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    document.dispatchEvent(new CustomEvent("signalbox:refreshed"));
  }

  function scheduleRefresh() {
    if (pending) return;
    const wait = Math.max(0, lastRefresh + MIN_GAP_MS - Date.now());
    pending = setTimeout(() => refresh().catch(() => {}), wait);
  }
  window.signalboxRefresh = scheduleRefresh;

  function follow(resources) {
    const query = resources.map((r) => "resource=" + encodeURIComponent(r)).join("&");
    const source = new EventSource("/ui/live?" + query);
    source.addEventListener("change", scheduleRefresh);
    source.addEventListener("open", () => document.body.setAttribute("data-live-connected", "true"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const resources = (document.body.dataset.liveResources || "").split(/\s+/).filter(Boolean);
    if (resources.length) follow(resources);
    const every = Number(document.body.dataset.livePoll || 0);
    if (every > 0) {
      setInterval(() => {
        if (!document.hidden) scheduleRefresh();
      }, every * 1000);
    }
  });
})();
