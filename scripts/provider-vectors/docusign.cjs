// DocuSign Connect HMAC vector from DocuSign's own sample code.
// Usage: node docusign.cjs <checkout of github.com/docusign/code-examples-node>
// Loads lib/connect/examples/validateWebhookMessage.js unchanged and uses its computeHash (one
// X-DocuSign-Signature-N per Connect key) and isHashValid (accepts / rejects).
const path = require('path');
const { computeHash, isHashValid } = require(
  path.resolve(process.argv[2], 'lib/connect/examples/validateWebhookMessage.js'),
);

const payload =
  '{"event":"envelope-completed","apiVersion":"v2.1","uri":"/restapi/v2.1/accounts/1/envelopes/2","generatedDateTime":"2023-11-14T22:13:20.0000000Z","data":{"envelopeId":"93b4f7e6-0000-4a7c-8f5d-2a3a9d1c0b7e"}}';
const keys = ['docusign-key-one', 'docusign-key-two'];

console.log(`body: ${payload}`);
keys.forEach((secret, i) => {
  const verify = computeHash({ secret, payload });
  if (!isHashValid({ verify, secret, payload })) throw new Error('isHashValid rejected its own hash');
  if (isHashValid({ verify, secret, payload: ` ${payload}` })) throw new Error('tampered body accepted');
  console.log(`key ${secret}: X-DocuSign-Signature-${i + 1}: ${verify}`);
});
