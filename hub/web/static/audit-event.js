// Recompute the root from the leaf and the proof with WebCrypto (RFC 6962 / RFC 9162
// 2.1.3.2) and compare it with the root in the signed note shown above.
"use strict";
(async () => {
  const out = document.getElementById("browser-verification");
  const say = (text, ok) => { out.textContent = text; out.className = ok ? "ok" : "error"; };
  if (!(window.crypto && crypto.subtle)) {
    say("not checked: this browser offers WebCrypto only on HTTPS pages", false);
    return;
  }
  const data = JSON.parse(document.getElementById("proof-data").textContent);
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
  const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const sha256 = async (prefix, ...parts) => {
    const size = 1 + parts.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(size);
    buf[0] = prefix;
    let at = 1;
    for (const p of parts) { buf.set(p, at); at += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  };
  try {
    const noteLines = document.getElementById("checkpoint-note").textContent.split("\n");
    const size = Number(noteLines[1]);
    const root = hex(unb64(noteLines[2]));
    const leafHash = await sha256(0, unb64(data.leaf));
    if (hex(leafHash) !== data.leafHash) { say("NOT verified: the leaf's hash differs", false); return; }
    let fn = data.index, sn = size - 1, r = leafHash;
    for (const p of data.proof.map(unhex)) {
      if (sn === 0) { say("NOT verified: the proof is too long", false); return; }
      if ((fn & 1) || fn === sn) {
        r = await sha256(1, p, r);
        if (!(fn & 1)) { while (fn !== 0 && !(fn & 1)) { fn >>= 1; sn >>= 1; } }
      } else {
        r = await sha256(1, r, p);
      }
      fn >>= 1; sn >>= 1;
    }
    if (sn === 0 && hex(r) === root) {
      say("verified in your browser: the proof leads from this leaf to the signed root", true);
    } else {
      say("NOT verified: the proof does not lead to the signed root", false);
    }
  } catch (e) {
    say("NOT verified: " + e.message, false);
  }
})();
