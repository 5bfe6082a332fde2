// Braintree webhook vectors from the official Node SDK, npm `braintree`:
// WebhookTestingGateway.sampleNotification (signs bt_payload like Braintree's servers do),
// WebhookNotificationGateway.parse (verifies) and .verify (the bt_challenge answer).
// Not run by CI (needs the npm package); the printed values are pinned in
// src/providers/presets/braintree.rs.
//
//   mkdir -p /tmp/pv && cd /tmp/pv && npm install braintree@3.40.0
//   NODE_PATH=/tmp/pv/node_modules node scripts/provider-vectors/braintree.mjs
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

const modules = process.env.NODE_PATH ?? 'node_modules'
const require = createRequire(path.join(modules, 'x.js'))
const braintree = require('braintree')
const { version } = JSON.parse(readFileSync(path.join(modules, 'braintree/package.json'), 'utf8'))

// The sample's <timestamp> is "now": pin it so the output is reproducible.
const FIXED = Date.UTC(2023, 10, 14, 22, 13, 20) // 1700000000 s
const RealDate = Date
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [FIXED]))
  }
  static now() {
    return FIXED
  }
}

// The SDK test suite's credentials (braintree_node test/config.js: integration_*).
const keys = {
  environment: braintree.Environment.Sandbox,
  merchantId: 'integration_merchant_id',
  publicKey: 'integration_public_key',
  privateKey: 'integration_private_key',
}
const gateway = new braintree.BraintreeGateway(keys)
const sample = gateway.webhookTesting.sampleNotification(
  braintree.WebhookNotification.Kind.SubscriptionWentPastDue,
  'sub_hookgate_1',
)
// What Braintree POSTs: the two fields, application/x-www-form-urlencoded.
const form = new URLSearchParams(sample).toString()

const parse = async (gw, sig, payload) => {
  try {
    const n = await gw.webhookNotification.parse(sig, payload)
    return `ok: ${n.kind} ${n.subscription?.id} ${n.timestamp.toISOString?.() ?? n.timestamp}`
  } catch (e) {
    return `${e.type ?? e.name}: ${e.message}`
  }
}
const other = new braintree.BraintreeGateway({ ...keys, privateKey: 'other_private_key' })
const [sigPk, sigHex] = sample.bt_signature.split('|')
const flipped = sample.bt_payload.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))

console.log(
  JSON.stringify(
    {
      package: `braintree@${version}`,
      public_key: keys.publicKey,
      private_key: keys.privateKey,
      bt_signature: sample.bt_signature,
      bt_payload: sample.bt_payload,
      xml: Buffer.from(sample.bt_payload, 'base64').toString('utf8'),
      form_body: form,
      parse: await parse(gateway, sample.bt_signature, sample.bt_payload),
      parse_payload_without_final_newline: await parse(
        gateway,
        sample.bt_signature,
        sample.bt_payload.replace(/\n$/, ''),
      ),
      parse_among_other_pairs: await parse(
        gateway,
        `other_public_key|${'0'.repeat(40)}&${sample.bt_signature}`,
        sample.bt_payload,
      ),
      parse_tampered_payload: await parse(gateway, sample.bt_signature, flipped),
      parse_other_private_key: await parse(other, sample.bt_signature, sample.bt_payload),
      parse_other_public_key: await parse(
        gateway,
        `other_public_key|${sigHex}`,
        sample.bt_payload,
      ),
      parse_illegal_character: await parse(gateway, sample.bt_signature, `${sample.bt_payload} `),
      challenge: '20f9f8ed05f77439fe955c977e4c8a53',
      challenge_answer: gateway.webhookNotification.verify('20f9f8ed05f77439fe955c977e4c8a53'),
      signature_public_key: sigPk,
    },
    null,
    2,
  ),
)
