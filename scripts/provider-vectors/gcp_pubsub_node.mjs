// Adds google-auth-library (Node) verdicts to the vectors printed by gcp_pubsub.py: each token
// goes through OAuth2Client.verifyIdToken (the Node verifier Google documents for Pub/Sub push
// auth) with the certificate fetch answered by the published public_cert.pem under the token's
// kid (the {kid: PEM} format of www.googleapis.com/oauth2/v1/certs, which verifyIdToken fetches
// on Node) and Date pinned to each case's instant.
// Usage: node gcp_pubsub_node.mjs vectors.json <google-auth-library-python>/tests/data/public_cert.pem
// Needs: npm install google-auth-library@10.9.1
import { readFileSync } from 'node:fs';
import { OAuth2Client } from 'google-auth-library';

const vectors = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pem = readFileSync(process.argv[3], 'utf8');
const kid = vectors.jwks.keys[0].kid;

const RealDate = Date;
let pinned = 0;
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length ? args : [pinned])); }
  static now() { return pinned; }
};

const client = new OAuth2Client();
client.getFederatedSignonCertsAsync = async () => ({ certs: { [kid]: pem }, format: 'PEM' });

for (const c of vectors.cases) {
  pinned = c.at * 1000;
  try {
    const ticket = await client.verifyIdToken({ idToken: c.token, audience: vectors.audience });
    const p = ticket.getPayload();
    c.node_verify_id_token = { accepted: true, email: p.email, email_verified: p.email_verified };
  } catch (e) {
    c.node_verify_id_token = { accepted: false, error: String(e.message).slice(0, 120) };
  }
}
vectors.source += '; google-auth-library ' +
  JSON.parse(readFileSync(new URL('./node_modules/google-auth-library/package.json', `file://${process.cwd()}/`), 'utf8')).version +
  ' (npm): OAuth2Client.verifyIdToken';
console.log(JSON.stringify(vectors, null, 1));
