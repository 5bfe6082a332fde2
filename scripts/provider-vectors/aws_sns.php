<?php
// AWS SNS: AWS's own validator, aws/aws-php-sns-message-validator (tag 1.9.1, commit
// 80850e8d93fb57889ce609e113895dd2f1d7eed6; Composer package aws/aws-php-sns-message-validator),
// checks the SignatureVersion 2 messages pinned in src/providers/presets/aws_sns.rs. Its `certClient`
// constructor hook (documented for tests) hands it the test certificate for the message's
// SigningCertURL instead of fetching it; its URL check, string to sign and openssl_verify run as
// shipped. Its src/ is loaded directly (Packagist is unreachable here; it needs no dependency
// for Message::fromJsonString and MessageValidator::validate).
//
//   git clone https://github.com/aws/aws-php-sns-message-validator && git -C it checkout 1.9.1
//   php scripts/provider-vectors/aws_sns.php <that checkout>/src src/providers/presets/testdata
//
// Prints one ok line per check; exits 1 on the first failure. PHP 8.2 CLI with ext-openssl.
[$_, $src, $data] = $argv + [null, null, null];
if (!$src || !$data) {
    fwrite(STDERR, "usage: php aws_sns.php <validator>/src <repo>/src/providers/presets/testdata\n");
    exit(2);
}
require "$src/Exception/InvalidSnsMessageException.php";
require "$src/Message.php";
require "$src/MessageValidator.php";

use Aws\Sns\Message;
use Aws\Sns\MessageValidator;

$cert = file_get_contents("$data/sns_openssl_test_cert.pem");
$fetched = [];
$validator = new MessageValidator(function ($url) use ($cert, &$fetched) {
    $fetched[] = $url;
    return $url === 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem'
        ? $cert : false;
});

function check(bool $cond, string $what): void
{
    if (!$cond) {
        fwrite(STDERR, "FAILED: $what\n");
        exit(1);
    }
    echo "ok  $what\n";
}

function accepts(MessageValidator $v, array $m): bool
{
    return $v->isValid(new Message($m));
}

foreach ([
    'notification' => 'sns_openssl_v2_notification.json',
    'subscription confirmation' => 'sns_openssl_v2_subscription_confirmation.json',
] as $name => $file) {
    $m = json_decode(file_get_contents("$data/$file"), true);
    check($m['SignatureVersion'] === '2', "$name is SignatureVersion 2");
    check(accepts($validator, $m), "$name accepted");
    $tampered = $m;
    $tampered['Message'] .= ' ';
    check(!accepts($validator, $tampered), "$name with a changed Message rejected");
    $tampered = $m;
    $tampered['TopicArn'] = 'arn:aws:sns:us-east-1:123456789012:other';
    check(!accepts($validator, $tampered), "$name with another TopicArn rejected");
    $v1 = $m;
    $v1['SignatureVersion'] = '1';
    check(!accepts($validator, $v1), "$name presented as SignatureVersion 1 rejected");
    if (isset($m['Token'])) {
        $tampered = $m;
        $tampered['Token'] = '0';
        check(!accepts($validator, $tampered), "$name with another Token rejected");
    }
}
check(count($fetched) > 0, 'the certificate came through the certClient hook');
