// Twilio: npm twilio@6.3.1 (`webhooks.getExpectedTwilioSignature`, `validateRequest`) makes and
// accepts the URL-rule signatures pinned in src/providers/presets/twilio.rs: GET callbacks (URL with
// query, no params), the WHATWG `new URL()` form and the legacy-querystring form of a delivered
// URL, and a SharedKey HMAC_SHA256 signature (`X-Twilio-Webhooks-Signature-Settings`).
// Run from a scratch dir: npm i twilio@6.3.1 && node <repo>/scripts/provider-vectors/twilio.mjs
import { sdk, version, check } from "./_sdk.mjs";

const w = await sdk("twilio/lib/webhooks/webhooks.js");
const TOKEN = "12345"; // twilio-python tests/unit/test_request_validator.py
const FORM = "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
const params = Object.fromEntries(new URLSearchParams(FORM));

console.log(`twilio@${version("twilio")}`);
const cases = [
  // [name, delivered URL, URL the back end signed, params, algorithm]
  ["GET callback", "https://mycompany.com/myapp.php?foo=1&bar=2&CallSid=CA123", null, {}, undefined],
  ["legacy querystring", "https://mycompany.com/myapp.php?q=a+b&q=c&name=O'Brien", "https://mycompany.com/myapp.php?q=a%20b&q=c&name=O'Brien", params, undefined],
  ["WHATWG URL", "https://mycompany.com/myapp.php?name=O'Brien", "https://mycompany.com/myapp.php?name=O%27Brien", params, undefined],
  ["SharedKey HMAC_SHA256", "https://mycompany.com/myapp.php?foo=1&bar=2", null, params, w.getSignatureAlgorithm("key=webhooks_sharedkey_test,algorithm=HMAC_SHA256")],
];
for (const [name, delivered, signedUrl, p, algorithm] of cases) {
  const sig = w.getExpectedTwilioSignature(TOKEN, signedUrl ?? delivered, p, algorithm);
  console.log(`${name}: ${delivered}\n  signed over ${signedUrl ?? delivered} (${algorithm ?? "HMAC_SHA1"})\n  X-Twilio-Signature: ${sig}`);
  check(w.validateRequest(TOKEN, sig, delivered, p, algorithm), `${name}: validateRequest accepts the delivered URL`);
  check(!w.validateRequest(TOKEN, sig, delivered, { ...p, CallSid: "CA999" }, algorithm), `${name}: other params rejected`);
  check(!w.validateRequest("54321", sig, delivered, p, algorithm), `${name}: other token rejected`);
}
// HMAC_SHA256 is chosen by the settings header; the same signature as HMAC_SHA1 fails.
const sha256 = w.getExpectedTwilioSignature(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=2", params, "HMAC_SHA256");
check(!w.validateRequest(TOKEN, sha256, "https://mycompany.com/myapp.php?foo=1&bar=2", params), "SharedKey signature rejected as HMAC_SHA1");
check(w.getSignatureAlgorithm("") === "HMAC_SHA1", "no settings header: HMAC_SHA1");
check(!w.validateRequest(TOKEN, sha256, "https://mycompany.com/myapp.php?foo=1&bar=2", params, "HMAC_SHA512"), "unknown algorithm rejected");
