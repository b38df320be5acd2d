// Shared by every page: the pages call the hub's API with the session cookie (same origin);
// a request that changes something carries the session's CSRF token from the page's meta tag.
"use strict";
window.hub = {
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
};
