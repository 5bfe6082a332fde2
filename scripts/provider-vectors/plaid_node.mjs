// Adds Node verdicts to plaid.py's output, following the Node sample of
// plaid.com/docs/api/webhooks/webhook-verification/ step by step with the packages it uses:
// jwt-decode for the header, the plaid client's webhookVerificationKeyGet for the key (its
// basePath pointed at a local server answering as Plaid's key endpoint), "reject expired keys"
// (expired_at != null), jose importJWK + jwtVerify({ maxTokenAge: '5 min' }), js-sha256 of the
// body and a constant-time compare (safe-compare) with request_body_sha256. Date is pinned to
// each case's instant. Also records the request the plaid client sends for a key.
// Usage (from a dir with node_modules): node plaid_node.mjs plaid_vectors.json
// Needs: npm install plaid@47.0.0 jose@6.2.18 jwt-decode@4.0.0 js-sha256@1.0.0 safe-compare@1.1.4
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { jwtDecode } from 'jwt-decode';
import { importJWK, jwtVerify } from 'jose';
import { sha256 } from 'js-sha256';
import compare from 'safe-compare';
import { Configuration, PlaidApi } from 'plaid';

const vectors = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let answer = { status: 200, body: vectors.key_response };
let seen = null;
const server = http.createServer((req, res) => {
  let data = '';
  req.on('data', (c) => { data += c; });
  req.on('end', () => {
    seen ??= { path: req.url, headers: { 'plaid-client-id': req.headers['plaid-client-id'],
      'plaid-secret': req.headers['plaid-secret'] }, body: JSON.parse(data) };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const plaidClient = new PlaidApi(new Configuration({
  basePath: `http://127.0.0.1:${server.address().port}`,
  baseOptions: { headers: { 'PLAID-CLIENT-ID': 'PLAID_CLIENT_ID', 'PLAID-SECRET': 'PLAID_SECRET' } },
}));

const RealDate = Date;
let pinned = 0;
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length ? args : [pinned])); }
  static now() { return pinned; }
};

async function verify(body, headers) {
  const signedJwt = headers['plaid-verification'];
  const decodedToken = jwtDecode(signedJwt);
  const decodedTokenHeader = jwtDecode(signedJwt, { header: true });
  if (decodedTokenHeader.alg !== 'ES256') return false;
  let key;
  try {
    key = (await plaidClient.webhookVerificationKeyGet({ key_id: decodedTokenHeader.kid })).data.key;
  } catch {
    return false;
  }
  if (key.expired_at != null) return false;
  try {
    await jwtVerify(signedJwt, await importJWK(key), { maxTokenAge: '5 min' });
  } catch {
    return false;
  }
  return compare(sha256(body), decodedToken.request_body_sha256);
}

const responses = {
  key_with_expired_at_set: { status: 200, body: vectors.expired_key_response },
  unknown_kid: { status: 400, body: { error_type: 'INVALID_INPUT',
    error_code: 'INVALID_WEBHOOK_VERIFICATION_KEY_ID' } },
};
for (const c of vectors.cases) {
  answer = responses[c.name] ?? { status: 200, body: vectors.key_response };
  pinned = c.at * 1000;
  c.plaid_node_docs_flow = await verify(c.body, { 'plaid-verification': vectors.token });
}
vectors.key_request_sent_by_plaid_node = seen;
vectors.source += '; verdicts of the Node flow of plaid.com/docs/api/webhooks/webhook-verification '
  + '(plaid 47.0.0 webhookVerificationKeyGet, jose 6.2.18, jwt-decode 4.0.0, js-sha256 1.0.0)';
server.close();
console.log(JSON.stringify(vectors, null, 1));
