// Vercel webhook vector checked by Vercel's official integration sample.
// Usage (from a dir with typescript installed, see README.md):
//   node vercel.cjs <path to app/webhook/route.ts of github.com/vercel/example-marketplace-integration>
// Runs the route's POST handler unchanged (types stripped) on a WHATWG Request; only its app
// imports (env, event storage, Vercel API client, event schemas) are stand-ins. The handler
// answers 200 either way: a refused signature gets `{"code":"invalid_signature"}`, an accepted
// one reaches storeWebhookEvent (the stand-in schema routes every body to the "unknown event"
// branch, which stores it and stops). The pinned signature is the module's own `sha1` signer's
// output for the vector, which POST then accepts.
const fs = require('fs');
const { transpile } = require('./_source.cjs');

const SECRET = 'vercel-integration-client-secret';
const js = transpile(fs.readFileSync(process.argv[2], 'utf8'));
const stored = [];
const refuse = { parse() { throw new Error('stand-in schema'); } };
const stubs = {
  '@/lib/env': { env: { INTEGRATION_CLIENT_SECRET: SECRET } },
  '@/lib/partner': {
    listInstallations: async () => ({ installations: [] }),
    storeWebhookEvent: async (e) => { stored.push(e); },
    uninstallInstallation: async () => {},
  },
  '@/lib/vercel/api': { fetchVercelApi: async () => { throw new Error('no network in this harness'); } },
  '@/lib/vercel/schemas': { webhookEventSchema: refuse, unknownWebhookEventSchema: { parse: (x) => x } },
};
const mod = { exports: {} };
// The module's own `sha1` (its signer) is handed back alongside its exports.
const sha1 = new Function('module', 'exports', 'require', 'console', `${js}\n;return sha1;`)(
  mod,
  mod.exports,
  (name) => stubs[name] ?? require(name),
  { log() {}, error() {} },
);

const body = '{"id":"uev_123","type":"deployment.created","payload":{"deployment":{"id":"dpl_1"}}}';
const signature = '0a9e5f1c2619c33006ec4cb2c0955df3b34b945a';
const verdict = async (b, sig) => {
  const before = stored.length;
  const headers = sig === null ? {} : { 'x-vercel-signature': sig };
  const res = await mod.exports.POST(new Request('https://example.com/webhook', { method: 'POST', headers, body: b }));
  const text = await res.text();
  if (stored.length > before) return 'accepted';
  if (text.includes('invalid_signature')) return 'refused';
  throw new Error(`unexpected answer ${res.status} ${text}`);
};
(async () => {
  const sig = sha1(Buffer.from(body, 'utf-8'), SECRET);
  if (sig !== signature) throw new Error(`sample's sha1 gives ${sig}, pinned ${signature}`);
  const results = {
    vector: await verdict(body, sig),
    tampered: await verdict(body.replace('dpl_1', 'dpl_2'), sig),
    alteredSignature: await verdict(body, sig.replace(/^./, (c) => (c === '0' ? '1' : '0'))),
    missing: await verdict(body, null),
  };
  console.log(`secret: ${SECRET}\nbody: ${body}\nx-vercel-signature: ${sig}`);
  console.log(results);
  const ok = results.vector === 'accepted' && results.tampered === 'refused'
    && results.alteredSignature === 'refused' && results.missing === 'refused';
  if (!ok) process.exit(1);
})();
