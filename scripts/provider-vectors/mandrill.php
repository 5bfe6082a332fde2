<?php
// Mandrill (Mailchimp Transactional): the PHP `generateSignature` published on Mailchimp's
// "Authenticating webhook requests" (mailchimp.com/developer/transactional/guides/
// track-respond-activity-webhooks, formerly mandrill.zendesk.com article 205583257), run
// unchanged, produces the X-Mandrill-Signature pinned in src/providers/presets/mandrill.rs.
// Save that function (without `<?php`) as sample/mandrill/generateSignature.php, then
//   php <repo>/scripts/provider-vectors/mandrill.php sample/mandrill/generateSignature.php
eval(file_get_contents($argv[1]));

$key = 'mandrill-webhook-key';
$url = 'https://hooks.example.com/webhooks/mandrill';
$body = 'mandrill_events=%5B%7B%22event%22%3A%22send%22%2C%22_id%22%3A%22exampleaaaaaaaaaaaaaaaaaaaaaaaaa1%22%2C%22ts%22%3A1365109999%7D%5D';
parse_str($body, $params); // what PHP puts in $_POST for this form body

$check = function ($ok, $what) {
    if (!$ok) { fwrite(STDERR, "FAILED: $what\n"); exit(1); }
    echo "ok  $what\n";
};
$sig = generateSignature($key, $url, $params);
echo 'php ' . PHP_VERSION . "\n";
$check($sig === 'hgGdRUP34w6GuGeTNyBdDBOdKJk=', "signature $sig");
$check(generateSignature($key, $url . '2', $params) !== $sig, 'another URL signs differently');
$check(generateSignature('other-key', $url, $params) !== $sig, 'another key signs differently');
// Several fields, out of order (ksort decides the order), one repeated (the last value wins).
parse_str('zeta=1&mandrill_events=%5B%5D&alpha=x+y&zeta=2', $many);
echo 'several fields: ' . generateSignature($key, $url, $many) . "\n";
