// Shared by every page: the access token the sign-in page stored for this tab.
"use strict";
window.hub = {
  token() { return sessionStorage.getItem("hub.token"); },
  setToken(token) { sessionStorage.setItem("hub.token", token); },
  forget() { sessionStorage.removeItem("hub.token"); },
};
document.addEventListener("DOMContentLoaded", () => {
  const out = document.getElementById("sign-out-form");
  if (out) out.addEventListener("submit", () => window.hub.forget());
});
