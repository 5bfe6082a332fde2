// Meta (Graph API, Instagram, WhatsApp Cloud API) X-Hub-Signature-256 vectors from Meta's
// official WhatsApp Node.js SDK (npm `whatsapp@0.0.5-Alpha`, repo WhatsApp/WhatsApp-Nodejs-SDK):
// its webhook listener compares `sha256=` + `generateXHub256Sig(body, appSecret)`.
// The first vector is the SDK's own test fixture (src/__tests__/utils.test.ts@58ca3d5: body
// "test", secret M4D_APP_SECRET = "TEST_APP_SECRET" from jest.config.ts); the others are the SDK's
// output for one webhook body per preset.
// Run (outside the repo): npm i whatsapp@0.0.5-Alpha; node meta.mjs
import { createRequire } from "node:module";
import path from "node:path";

// `utils` is not in the package's exports map: load it from beside the entry point (build/).
const require = createRequire(import.meta.url);
const { generateXHub256Sig } = require(path.join(path.dirname(require.resolve("whatsapp")), "utils.js"));

const fixture = generateXHub256Sig("test", "TEST_APP_SECRET");
if (fixture !== "0c61947b610d4f45e65f3d680e26027121ec2413e77598bcb6cfc6e0d9888221") {
  throw new Error("SDK disagrees with its own test fixture");
}
console.log(JSON.stringify({ preset: "whatsapp", secret: "TEST_APP_SECRET", body: "test", "X-Hub-Signature-256": "sha256=" + fixture }));

const bodies = {
  meta: ["meta-app-secret", '{"object":"page","entry":[{"id":"0","time":1700000000,"changes":[{"field":"feed","value":{"item":"status"}}]}]}'],
  instagram: ["instagram-app-secret", '{"object":"instagram","entry":[{"id":"0","time":1700000000,"changes":[{"field":"comments","value":{"text":"hi"}}]}]}'],
  whatsapp: ["whatsapp-app-secret", '{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"field":"messages","value":{"messaging_product":"whatsapp"}}]}]}'],
};
for (const [preset, [secret, body]] of Object.entries(bodies)) {
  console.log(JSON.stringify({ preset, secret, body, "X-Hub-Signature-256": "sha256=" + generateXHub256Sig(body, secret) }));
}
