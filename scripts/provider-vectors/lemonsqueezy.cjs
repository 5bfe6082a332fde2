// Lemon Squeezy webhook vector checked by Lemon Squeezy's official Next.js billing sample.
// Usage (from a dir with typescript installed):
//   node lemonsqueezy.cjs <path to src/app/api/webhook/route.ts of github.com/lmsqueezy/nextjs-billing>
// Runs the route's POST handler unchanged (types stripped) on a WHATWG Request; only its app
// imports (event storage, a type guard) are stand-ins. 200 = signature accepted, 400 = refused.
const fs = require('fs');
const { transpile } = require('./_source.cjs');

const js = transpile(fs.readFileSync(process.argv[2], 'utf8'));
const stubs = {
  '@/app/actions': { storeWebhookEvent: async () => 1, processWebhookEvent: async () => {} },
  '@/lib/typeguards': { webhookHasMeta: (d) => typeof d === 'object' && d !== null && 'meta' in d },
};
const mod = { exports: {} };
new Function('module', 'exports', 'require', 'process', 'console', js)(
  mod,
  mod.exports,
  (name) => stubs[name] ?? require(name),
  { env: { LEMONSQUEEZY_WEBHOOK_SECRET: 'lemon-signing-secret' } },
  { log() {} },
);

const body = '{"meta":{"event_name":"order_created","webhook_id":"wh_1"},"data":{"id":"1"}}';
const signature = '2924dd5f4e1e6db1495c3dce6b82ad4607270ef29a4965c73c48edbd41d0505a';
const post = (b) =>
  mod.exports.POST(
    new Request('https://example.com/api/webhook', { method: 'POST', headers: { 'X-Signature': signature }, body: b }),
  );
(async () => {
  const ok = (await post(body)).status;
  const tampered = await post(body.replace('"1"', '"2"')).then((r) => r.status, (e) => `threw ${e.code ?? e}`);
  console.log(`secret: lemon-signing-secret\nbody: ${body}\nX-Signature: ${signature}`);
  console.log(`sample answers ${ok} to the vector, ${tampered} to a tampered body`);
  if (ok !== 200 || tampered === 200) process.exit(1);
})();
