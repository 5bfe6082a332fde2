// HubSpot v3: npm @hubspot/api-client@13.5.0 `Signature.isValid` (signatureVersion "v3", with
// Date.now pinned 1 s after the timestamp) accepts the signatures pinned in
// src/providers/presets/hubspot.rs over the URL HubSpot's docs say is signed (the twelve listed escapes
// decoded; see hubspot_v3.py) and rejects them over the URL as delivered: the SDK decodes nothing.
// Run from a scratch dir: npm i @hubspot/api-client@13.5.0 && node <repo>/scripts/provider-vectors/hubspot_v3.mjs
import { sdk, version, check, at } from "./_sdk.mjs";

const { Signature } = await sdk("@hubspot/api-client/lib/src/utils/signature.js");
const clientSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const timestamp = 1700000000000;
const requestBody = '[{"eventId":1,"subscriptionType":"contact.creation"}]';
const CASES = [
  [
    "https://hooks.example.com/hubspot?email=jane%40example.com",
    "https://hooks.example.com/hubspot?email=jane@example.com",
    "NpvMzgt3Q7I8Jx0ag1FyE/XTpKS0LaIv/UccsbmQ3hU=",
  ],
  [
    "https://hooks.example.com/hubspot?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25",
    "https://hooks.example.com/hubspot?a=:/?@!$'()*,;&b=%20%25",
    "Wg4svU1OPKI8RDdZ6JOquvpYINznUigRUB/xoxRPX+A=",
  ],
];

console.log(`@hubspot/api-client@${version("@hubspot/api-client")}`);
const valid = (signature, url, body = requestBody) =>
  at(timestamp + 1000, () =>
    Signature.isValid({ signatureVersion: "v3", signature, clientSecret, requestBody: body, url, method: "POST", timestamp }),
  );
for (const [delivered, signed, signature] of CASES) {
  check(await valid(signature, signed), `${signature} accepted over ${signed}`);
  check(!(await valid(signature, delivered)), `rejected over the delivered ${delivered}`);
  check(!(await valid(signature, signed, `${requestBody} `)), "rejected with a changed body");
}
