// The demo's and the tests' OpenID Provider: the `oidc-provider` package (certified by the
// OpenID Foundation), one issuer per partner, all on one port, each under its own path:
//   http://HOST:PORT/<partner>/.well-known/openid-configuration
//
//   node oidc/provider.mjs CONFIG.json
//
// CONFIG (written by `hub demo` or by the tests) names the host and port and, per issuer, its
// URL, the hub's client (id, secret, redirect URIs) and its people (username, password,
// subject, display name, email, groups, extra claims). This file only serves them: the
// protocol (discovery, JWKS, authorization code with PKCE, ID tokens, nonce) is the package's.
// Its login page is the one below: a username and password checked against CONFIG.
"use strict";

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { URLSearchParams } from "node:url";

import Provider from "oidc-provider";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const SCOPES = ["openid", "profile", "email", "groups"];

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage({ issuerName, action, username = "", error = "" }) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(issuerName)}: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
<h1>${escape(issuerName)}</h1>
<p>Sign in with your organisation's account.</p>
${error ? `<p role="alert" id="login-error" style="color: #a00">${escape(error)}</p>` : ""}
<form method="post" action="${escape(action)}" autocomplete="off">
  <p><label>Username <input id="username" name="username" required value="${escape(username)}"></label></p>
  <p><label>Password <input id="password" name="password" type="password" required></label></p>
  <p><button id="sign-in" type="submit">Sign in</button></p>
</form>
</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) throw new Error("form too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function sameSecret(given, expected) {
  const a = crypto.createHash("sha256").update(String(given)).digest();
  const b = crypto.createHash("sha256").update(String(expected)).digest();
  return crypto.timingSafeEqual(a, b);
}

function makeIssuer(entry) {
  const mount = new URL(entry.issuer).pathname.replace(/\/$/, "");
  const byUsername = new Map(entry.people.map((p) => [p.username, p]));
  const bySubject = new Map(entry.people.map((p) => [p.sub, p]));
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: crypto.randomUUID(), use: "sig", alg: "RS256" };

  const provider = new Provider(entry.issuer, {
    clients: entry.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
    scopes: SCOPES,
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email"],
      groups: ["groups", "hub_partner"],
    },
    // The hub reads the person from the ID token alone (no userinfo call).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const person = bySubject.get(sub);
      if (!person) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            name: person.name,
            preferred_username: person.username,
            email: person.email,
            groups: person.groups,
            ...(person.extra_claims || {}),
          };
        },
      };
    },
    // The hub is the partner's own first-party application: no consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(SCOPES.join(" "));
      await grant.save();
      return grant;
    },
    ttl: { Session: 600, Interaction: 600, Grant: 600 },
  });

  async function interaction(req, res, url) {
    const details = await provider.interactionDetails(req, res);
    const action = `${mount}/interaction/${details.uid}`;
    const send = (status, html) => {
      res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      res.end(html);
    };
    if (details.prompt.name !== "login") {
      // Consent is granted by loadExistingGrant; anything else is not for this demo.
      await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method === "GET") {
      send(200, loginPage({ issuerName: entry.name, action }));
      return;
    }
    const form = await readForm(req);
    const username = form.get("username") || "";
    const person = byUsername.get(username);
    if (!person || !sameSecret(form.get("password") || "", person.password)) {
      send(401, loginPage({ issuerName: entry.name, action, username, error: "That username and password do not match." }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: person.sub } }, { mergeWithLastSubmission: false });
  }

  const callback = provider.callback();
  return {
    mount,
    async handle(req, res) {
      const url = new URL(req.url, entry.issuer);
      if (url.pathname.startsWith(`${mount}/interaction/`)) {
        try {
          await interaction(req, res, url);
        } catch (error) {
          res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
          res.end(`This sign-in has expired or is not valid (${error.message}): start again from the hub.`);
        }
        return;
      }
      req.originalUrl = req.url;
      req.url = req.url.slice(mount.length) || "/";
      callback(req, res);
    },
  };
}

const issuers = config.issuers.map(makeIssuer);

const server = http.createServer((req, res) => {
  const path = (req.url || "/").split("?")[0];
  const issuer = issuers.find((i) => path === i.mount || path.startsWith(`${i.mount}/`));
  if (!issuer) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(`No issuer here. Issuers: ${issuers.map((i) => i.mount).join(", ")}\n`);
    return;
  }
  issuer.handle(req, res);
});

server.listen(config.port, config.host, () => {
  console.log(`oidc-provider: ${issuers.length} issuers on http://${config.host}:${config.port}`);
});

// Started by `hub demo` or a test: end with the process that started it, however it ended.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
