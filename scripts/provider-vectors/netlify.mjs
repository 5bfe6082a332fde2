// Netlify: jsonwebtoken (the library Netlify's docs sample uses) signs the token pinned in
// src/providers/presets/netlify.rs, and the docs' own Node sample accepts it.
// Run from a scratch dir:
//   npm install jsonwebtoken@9.0.3 express@4.22.3
//   Save the Node/Express code block of "Payload signature" on
//   https://docs.netlify.com/site-deploys/deploy-notifications/ (retrieved 2026-11-30) as
//   sample/netlify/sample.mjs. The sample never imports the `bodyParser` it calls, so this
//   script supplies it as a global (the only change); the sample hard-codes port 3000 and the
//   secret "your signature secret", which the vector therefore uses.
//   node <repo>/scripts/provider-vectors/netlify.mjs sample/netlify/sample.mjs
import crypto from "node:crypto";
import { writeFileSync } from "node:fs";
import { sdk, version, check } from "./_sdk.mjs";

const { default: jwt } = await sdk("jsonwebtoken");
const SECRET = "your signature secret";
const BODY = '{"id":"evt_1","type":"ping"}';
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");

console.log(`jsonwebtoken@${version("jsonwebtoken")}`);
const token = jwt.sign({ iss: "netlify", sha256: sha256(BODY) }, SECRET, { noTimestamp: true });
console.log(`token ${token}`);
const other = jwt.sign({ iss: "netlify", sha256: sha256(BODY) }, "not-the-secret", { noTimestamp: true });
const wrongIssuer = jwt.sign({ iss: "someone", sha256: sha256(BODY) }, SECRET, { noTimestamp: true });
console.log(`token with iss "someone" ${wrongIssuer}`);

const file = process.argv[2];
if (!file) throw new Error("give the path of the saved docs sample");
const preload = `${process.cwd()}/netlify-preload.cjs`;
writeFileSync(preload, 'globalThis.bodyParser = require("body-parser");\n');
const { spawn } = await import("node:child_process");
const child = spawn(process.execPath, ["--require", preload, file], { stdio: "ignore" });
process.on("exit", () => child.exitCode === null && child.kill("SIGKILL"));
try {
  const post = async (body, sig) => {
    const r = await fetch("http://127.0.0.1:3000/", {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-signature": sig },
      body,
    });
    return `${r.status} ${await r.text()}`;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch("http://127.0.0.1:3000/");
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  check((await post(BODY, token)) === "200 true", "docs sample: vector valid");
  check((await post(BODY.replace("ping", "pong"), token)) === "200 false", "docs sample: tampered body invalid");
  check((await post(BODY, other)).startsWith("500"), "docs sample: another secret throws");
  check((await post(BODY, wrongIssuer)).startsWith("500"), "docs sample: another issuer throws");
} finally {
  child.kill("SIGKILL");
}
