//! The list of presets. Adding a sender is adding its file (or its row in a table of data-only
//! senders, such as `presets/hmac_body.rs`) under `presets/` and one line here.

use super::key_fetch::BuildWithOptions;
use crate::providers::Preset;

/// Every preset, in the order `hookgate check` and the README list them.
pub fn presets() -> &'static [Preset] {
    ALL
}

/// The preset list: the generic families first, then the senders.
const ALL: &[Preset] = &[
    super::hmac_generic::PRESET,
    super::token::PRESET,
    super::basic::PRESET,
    super::ed25519::PRESET,
    crate::providers::presets::hmac_body::GITHUB,
    crate::providers::presets::token_senders::GITLAB,
    crate::providers::presets::hmac_body::BITBUCKET,
    crate::providers::presets::timestamp_list_senders::STRIPE,
    crate::providers::presets::hmac_body::SHOPIFY,
    crate::providers::presets::slack::PRESET,
    super::standard_webhooks::PRESET,
    crate::providers::presets::svix::PRESET,
    crate::providers::presets::twilio::PRESET,
    crate::providers::presets::square::PRESET,
    crate::providers::presets::ed25519_senders::DISCORD,
    crate::providers::presets::ed25519_senders::TELNYX,
    crate::providers::presets::sendgrid::PRESET,
    crate::providers::presets::timestamp_list_senders::PADDLE,
    crate::providers::presets::zoom::PRESET,
    crate::providers::presets::timestamp_list_senders::CALENDLY,
    crate::providers::presets::timestamp_list_senders::MUX,
    crate::providers::presets::pagerduty::PRESET,
    crate::providers::presets::hubspot::PRESET,
    crate::providers::presets::twitch::PRESET,
    crate::providers::presets::linear::PRESET,
    crate::providers::presets::hmac_body::INTERCOM,
    crate::providers::presets::hmac_body::TYPEFORM,
    crate::providers::presets::hmac_body::LEMONSQUEEZY,
    crate::providers::presets::hmac_body::PAYSTACK,
    crate::providers::presets::hmac_body::RAZORPAY,
    crate::providers::presets::hmac_body::SENTRY,
    crate::providers::presets::hmac_body::VERCEL,
    crate::providers::presets::mailgun::PRESET,
    crate::providers::presets::mandrill::PRESET,
    crate::providers::presets::hmac_body::COINBASE,
    crate::providers::presets::zendesk::PRESET,
    crate::providers::presets::hmac_body::WOOCOMMERCE,
    crate::providers::presets::hmac_body::XERO,
    crate::providers::presets::docusign::PRESET,
    crate::providers::presets::boxcom::PRESET,
    crate::providers::presets::dropbox::PRESET,
    crate::providers::presets::asana::PRESET,
    crate::providers::presets::hmac_body::SEGMENT,
    crate::providers::presets::aws_sns::PRESET,
    crate::providers::presets::gcp_pubsub::PRESET,
    crate::providers::presets::paypal::PRESET,
    crate::providers::presets::plaid::PRESET,
    crate::providers::presets::apple_app_store::PRESET,
    crate::providers::presets::hubspot_v1::PRESET,
    crate::providers::presets::hubspot_v2::PRESET,
    crate::providers::presets::adyen::PRESET,
    crate::providers::presets::worldline::PRESET,
    crate::providers::presets::token_senders::OKTA,
    crate::providers::presets::postmark::PRESET,
    crate::providers::presets::standard_webhooks_senders::OPENAI,
    crate::providers::presets::standard_webhooks_senders::CLERK,
    crate::providers::presets::standard_webhooks_senders::RESEND,
    crate::providers::presets::polar::PRESET,
    crate::providers::presets::standard_webhooks_senders::BREX,
    crate::providers::presets::standard_webhooks_senders::REPLICATE,
    crate::providers::presets::standard_webhooks_senders::LIVEBLOCKS,
    crate::providers::presets::standard_webhooks_senders::BEEHIIV,
    crate::providers::presets::forge_senders::GITEA,
    crate::providers::presets::forge_senders::GOGS,
    crate::providers::presets::forge_senders::FORGEJO,
    crate::providers::presets::meta::PRESET,
    crate::providers::presets::meta::WHATSAPP,
    crate::providers::presets::meta::INSTAGRAM,
    crate::providers::presets::hmac_body::NOTION,
    crate::providers::presets::hmac_body::JIRA,
    crate::providers::presets::hmac_body::GUSTO,
    crate::providers::presets::hmac_body::TWITTER,
    crate::providers::presets::hmac_body::AIRTABLE,
    crate::providers::presets::hmac_body::TEAMS,
    crate::providers::presets::netlify::PRESET,
    crate::providers::presets::vonage::PRESET,
    crate::providers::presets::contentful::PRESET,
    crate::providers::presets::persona::PRESET,
    crate::providers::presets::braintree::PRESET,
];

/// The preset named `name`, if any.
pub fn find_preset(name: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.name == name)
}

/// The options-reading constructor of preset `name`, if it has one: the key-fetching presets,
/// which read the route's `provider_options`. Presets without one take no `provider_options`.
pub fn options_builder(name: &str) -> Option<BuildWithOptions> {
    use crate::providers::presets::{apple_app_store, aws_sns, gcp_pubsub, paypal, plaid};
    match name {
        "apple-app-store" => Some(apple_app_store::build_with_options),
        "aws-sns" => Some(aws_sns::build_with_options),
        "gcp-pubsub" => Some(gcp_pubsub::build_with_options),
        "paypal" => Some(paypal::build_with_options),
        "plaid" => Some(plaid::build_with_options),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_defaults_use_the_config_syntax() {
        let mut names: Vec<&str> = presets().iter().map(|p| p.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate preset name");
        for p in presets() {
            assert!(!p.summary.is_empty(), "{}", p.name);
            for source in [p.event_id, p.event_type].into_iter().flatten() {
                assert!(
                    source.starts_with("header:") || source.starts_with("json:/"),
                    "{}: {source}",
                    p.name
                );
            }
        }
        // The names come from `presets()` alone (the README's table is generated from it and
        // checked in `catalog`): each is found by `find_preset` and uses the config's syntax.
        for p in presets() {
            assert!(
                !p.name.is_empty()
                    && p.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{:?} is not a config name",
                p.name
            );
            let found = find_preset(p.name).unwrap_or_else(|| panic!("{} not found", p.name));
            assert_eq!(found.summary, p.summary, "{}", p.name);
        }
    }
}
