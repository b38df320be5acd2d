// Client id and secret go to /oauth/token from the browser (client_secret_post); the token
// that comes back is posted to /sign-in, which keeps it in the session cookie for the
// server-rendered pages, and kept in sessionStorage for the pages that call the API.
"use strict";
(() => {
  const clientForm = document.getElementById("client-form");
  const tokenForm = document.getElementById("token-form");
  const tokenField = document.getElementById("token");
  const problem = document.getElementById("client-error");

  async function signInWith(clientId, clientSecret) {
    problem.hidden = true;
    const body = new URLSearchParams({
      grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret,
    });
    const answer = await fetch("/oauth/token", { method: "POST", body });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      problem.textContent = data.error_description || data.detail || "The hub refused the client id and secret.";
      problem.hidden = false;
      return;
    }
    tokenField.value = data.access_token;
    window.hub.setToken(data.access_token);
    tokenForm.submit();
  }

  clientForm.addEventListener("submit", (event) => {
    event.preventDefault();
    signInWith(document.getElementById("client_id").value.trim(),
               document.getElementById("client_secret").value);
  });
  tokenForm.addEventListener("submit", () => window.hub.setToken(tokenField.value.trim()));
  for (const button of document.querySelectorAll(".demo-client")) {
    button.addEventListener("click", () => signInWith(button.dataset.clientId, button.dataset.clientSecret));
  }
})();
