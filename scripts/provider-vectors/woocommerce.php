<?php
// WooCommerce webhook vector from WooCommerce core's own signer.
// Usage: php woocommerce.php <path to plugins/woocommerce/includes/class-wc-webhook.php>
// Takes WC_Webhook::generate_signature() out of the file unchanged and runs it on a stand-in
// object; only the WordPress functions it calls are stubbed (no filters registered, so
// apply_filters returns its value; wp_specialchars_decode is the identity for text without '&').
$src = file_get_contents($argv[1]);
$start = strpos($src, 'public function generate_signature(');
if ($start === false) { fwrite(STDERR, "generate_signature not found\n"); exit(1); }
$open = strpos($src, '{', $start);
$depth = 0;
for ($i = $open; $i < strlen($src); $i++) {
	if ($src[$i] === '{') { $depth++; }
	if ($src[$i] === '}' && --$depth === 0) { break; }
}
$method = substr($src, $start, $i - $start + 1);

function apply_filters($hook, $value) { return $value; }
function wp_specialchars_decode($text, $quote_style) {
	if (strpos($text, '&') !== false) { throw new Exception('stub only covers text without &'); }
	return $text;
}
eval('class CoreSigner { private $secret; function __construct($s) { $this->secret = $s; }'
	. ' function get_id() { return 1; } function get_secret() { return $this->secret; } ' . $method . ' }');

$secret = 'wc-secret';
$body = '{"id":727,"status":"processing","total":"29.35"}';
$signer = new CoreSigner($secret);
echo "secret: $secret\nbody: $body\nX-WC-Webhook-Signature: " . $signer->generate_signature($body) . "\n";
