<?php
// Paystack: the PHP receiver of Paystack's docs ("Verify event origin",
// paystack.com/docs/payments/webhooks), from Paystack's docs-snippet repository
// github.com/PaystackOSS/doc-code-snippets @ a3635f8198098e4bcba932ed64e7eb6ad6c64337,
// src/doc/payments/webhooks/verifying-transaction/index.php, run unchanged under PHP's built-in
// server, accepts the x-paystack-signature pinned in src/providers/presets/hmac_body.rs (the snippet keys
// the HMAC with its own placeholder secret, 'SECRET_KEY') and rejects altered ones.
// Save that file as sample/paystack/index.php, then
//   php <repo>/scripts/provider-vectors/paystack.php sample/paystack/index.php
// This file is also the server's auto_prepend_file: it reports whether the snippet reached its
// "Do something with $event" branch, the only sign of acceptance (every path answers 200).
if (PHP_SAPI === 'cli-server') {
    register_shutdown_function(function () {
        echo isset($GLOBALS['event']) ? 'ACCEPT' : 'REJECT';
    });
    return;
}

$port = 18765;
$server = proc_open(
    // Served from its directory, not as a router script: PHP applies auto_prepend_file only then.
    [PHP_BINARY, '-d', 'auto_prepend_file=' . __FILE__, '-S', "127.0.0.1:$port", '-t', dirname($argv[1])],
    [['file', '/dev/null', 'r'], ['file', '/dev/null', 'w'], ['file', '/dev/null', 'w']],
    $pipes
);
register_shutdown_function(fn () => proc_terminate($server, 9));

$file = basename($argv[1]);
$post = function (string $body, ?string $signature) use ($port, $file): string {
    $headers = "Content-Type: application/json\r\n";
    if ($signature !== null) $headers .= "x-paystack-signature: $signature\r\n";
    $ctx = stream_context_create(['http' => ['method' => 'POST', 'header' => $headers, 'content' => $body, 'ignore_errors' => true]]);
    for ($i = 0; $i < 50; $i++) {
        $r = @file_get_contents("http://127.0.0.1:$port/$file", false, $ctx);
        if ($r !== false) return $r;
        usleep(100000);
    }
    fwrite(STDERR, "server did not start\n");
    exit(1);
};
$check = function ($ok, $what) {
    if (!$ok) { fwrite(STDERR, "FAILED: $what\n"); exit(1); }
    echo "ok  $what\n";
};

$body = '{"event":"charge.success","data":{"id":302961,"reference":"qTPrJoy9Bx"}}';
$sig = '447e32077c1c8887fa54ca55c3e0d7791dddbff50e82858e3b84fb1728536cfc6c09b9cca8fd14a8cb3aa5c1de27e65b150ce8b2b6653c0acf2c7b274aff6394';
echo 'php ', PHP_VERSION, "\n";
$check($post($body, $sig) === 'ACCEPT', "docs receiver accepts $sig");
$check($post(str_replace('302961', '302962', $body), $sig) === 'REJECT', 'altered body rejected');
$check($post($body, strtoupper($sig)) === 'REJECT', 'upper-case hex rejected');
$check($post($body, null) === 'REJECT', 'missing header rejected');
