// Segment Webhooks (Actions) vector from Segment's own signer.
// Usage (from a dir with typescript installed):
//   node segment.cjs <path to packages/destination-actions/src/destinations/webhook/index.ts
//                     of github.com/segmentio/action-destinations>
// Runs the destination's `extendRequest` unchanged (types stripped): it returns the X-Signature
// header for one event; the `send` action posts `json: payload.data`, i.e. JSON.stringify(data).
const crypto = require('crypto');
const { member, transpile } = require('./_source.cjs');

const fn = member(process.argv[2], 'extendRequest: ', '=>').replace(/^extendRequest: /, '');
const js = transpile(`module.exports = ${fn};`);
const mod = { exports: {} };
new Function('module', 'createHmac', js)(mod, crypto.createHmac);

const sharedSecret = 'segment-shared-secret';
const data = { messageId: 'ajs-next-1', type: 'track', event: 'Order Completed' };
const { headers } = mod.exports({ settings: { sharedSecret }, payload: { data } });
console.log(`sharedSecret: ${sharedSecret}\nbody: ${JSON.stringify(data)}\nX-Signature: ${headers['X-Signature']}`);
