// Xero webhook vector checked by Xero's official sample app.
// Usage (from a dir with typescript installed):
//   node xero.cjs <checkout of github.com/XeroAPI/xero-node-oauth2-app>
// Runs App.verifyWebhookEventSignature from src/app.ts unchanged (types stripped) on a request
// shaped as the app's `bodyParser.raw` route hands it (req.body is the raw Buffer).
const crypto = require('crypto');
const { member, transpile, resolve } = require('./_source.cjs');

const method = member(resolve(process.argv[2], 'src/app.ts'), 'verifyWebhookEventSignature(req: Request)');
const js = transpile(`class Sample { ${method} }\nmodule.exports = Sample;`);
const mod = { exports: {} };
new Function('module', 'crypto', 'process', 'console', js)(mod, crypto, {
  env: { WEBHOOK_KEY: 'xero-webhook-key' },
}, { log() {} });
const app = new mod.exports();

const body = '{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0M3R4ND0M"}';
const signature = 'ItUUnPQAn+ZvQXapoQIuAwT38AGQ1vNnUgcmD1p/SEU=';
const check = (b) =>
  app.verifyWebhookEventSignature({ body: Buffer.from(b), headers: { 'x-xero-signature': signature } });
console.log(`key: xero-webhook-key\nbody: ${body}\nx-xero-signature: ${signature}`);
console.log(`sample accepts: ${check(body)}; tampered body accepted: ${check(` ${body}`)}`);
if (!check(body) || check(` ${body}`)) process.exit(1);
