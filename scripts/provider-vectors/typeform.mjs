// Typeform vector, checked by the Node.js (Express) sample of Typeform's docs
// (typeform.com/developers/webhooks/secure-your-webhooks, "Validate payload from Typeform"):
// the sample's own `verifySignature` must accept the vector and refuse a tampered body and
// another secret. The sample runs unchanged in a sandbox whose `app`/`express` only record the
// route (no server), with `process.env.SECRET_TOKEN` set to the vector's secret.
// Run (outside the repo): save that sample as typeform-docs-sample.js, then
//   node typeform.mjs typeform-docs-sample.js
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const secret = "typeform-secret";
const body =
  '{"event_id":"01F0Z0","event_type":"form_response","form_response":{"form_id":"lT4Z3j"}}';
const signature = "sha256=oGL+3WwWnfVtpOkOROy6ilZeEN0kMtX9RYHakuIBD1k=";

const verifyWith = (token) => {
  const noop = () => {};
  const sandbox = {
    require: createRequire(import.meta.url),
    process: { env: { SECRET_TOKEN: token } },
    app: { use: noop, post: noop },
    express: { raw: noop },
  };
  // `const verifySignature` stays script-scoped: export it to the sandbox after the sample.
  vm.runInNewContext(readFileSync(process.argv[2], "utf8") + "\n;this.__verify = verifySignature;", sandbox);
  return sandbox.__verify;
};

const verify = verifyWith(secret);
if (!verify(signature, body)) throw new Error("docs sample refused the vector");
if (verify(signature, " " + body)) throw new Error("docs sample accepted a tampered body");
if (verifyWith("not-the-secret")(signature, body)) throw new Error("docs sample accepted another secret");
console.log(JSON.stringify({ secret, "Typeform-Signature": signature, body, sample: "accepted; tampered and wrong secret refused" }));
