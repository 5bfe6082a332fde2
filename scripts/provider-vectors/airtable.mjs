// Airtable vector from the verification code in Airtable's docs
// (airtable.com/developers/web/api/webhooks-overview, notification delivery: "The recipient can
// verify this value by doing the following computation (in JavaScript, for example)"). The
// snippet runs unchanged with its two inputs bound: `macSecretBase64FromCreate` (the webhook's
// macSecretBase64) and `webhookNotificationDeliveryPayload` (the parsed notification, which the
// snippet re-serializes with JSON.stringify: the body below is that serialization, so the MAC it
// prints is also the MAC of the raw body).
// Run (outside the repo): save that snippet as airtable-docs-sample.js, then
//   node airtable.mjs airtable-docs-sample.js
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const macSecretBase64 = "YWlydGFibGUtbWFjLXNlY3JldC0zMi1ieXRlcy1sb25nISE=";
const body =
  '{"base":{"id":"app00000000000000"},"webhook":{"id":"ach00000000000000"},"timestamp":"2022-02-01T21:25:05.663Z"}';

const run = (secret, payload) => {
  const sandbox = {
    require: createRequire(import.meta.url),
    Buffer,
    macSecretBase64FromCreate: secret,
    webhookNotificationDeliveryPayload: JSON.parse(payload),
  };
  vm.runInNewContext(readFileSync(process.argv[2], "utf8") + "\n;this.__mac = expectedContentHmac;", sandbox);
  return sandbox.__mac;
};

if (JSON.stringify(JSON.parse(body)) !== body) throw new Error("body is not its own serialization");
const mac = run(macSecretBase64, body);
console.log(JSON.stringify({ macSecretBase64, "X-Airtable-Content-MAC": mac, body }));
