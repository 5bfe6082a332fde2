<?php
// Runs the signature check of Gitea's documented webhook receiver (docs/content/usage/webhooks.en-us.md,
// "Example", go-gitea/gitea @184e5121) on a vector pinned in src/providers/presets/forge_senders.rs, and prints
// ACCEPT or REJECT. The sample reads $_SERVER and php://input; here the same values come from the
// command line: php gitea_docs_sample.php <secret> <X-Gitea-Signature> <payload-file>
// Only these lines differ from the docs; the check itself is the docs' code.

$secret_key = $argv[1];
$header_signature = $argv[2];
$payload = trim(file_get_contents($argv[3]));

// calculate payload signature
$payload_signature = hash_hmac('sha256', $payload, $secret_key, false);

// check payload signature against header signature
if ($header_signature !== $payload_signature) {
    echo "REJECT\n";
    exit(1);
}
echo "ACCEPT\n";
