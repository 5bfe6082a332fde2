//! The list of presets. Adding a provider is adding its file and one line here.

use super::key_fetch::BuildWithOptions;
use super::Preset;

/// Every preset, in the order `hookgate check` and the README list them.
pub fn presets() -> &'static [Preset] {
    const ALL: &[Preset] = &[
        super::hmac_generic::PRESET,
        super::token::PRESET,
        super::basic::PRESET,
        super::ed25519::PRESET,
        super::github::PRESET,
        super::gitlab::PRESET,
        super::bitbucket::PRESET,
        super::stripe::PRESET,
        super::shopify::PRESET,
        super::slack::PRESET,
        super::standard_webhooks::PRESET,
        super::svix::PRESET,
        super::twilio::PRESET,
        super::square::PRESET,
        super::discord::PRESET,
        super::telnyx::PRESET,
        super::sendgrid::PRESET,
        super::paddle::PRESET,
        super::zoom::PRESET,
        super::calendly::PRESET,
        super::mux::PRESET,
        super::pagerduty::PRESET,
        super::hubspot::PRESET,
        super::twitch::PRESET,
        super::linear::PRESET,
        super::intercom::PRESET,
        super::typeform::PRESET,
        super::lemonsqueezy::PRESET,
        super::paystack::PRESET,
        super::razorpay::PRESET,
        super::sentry::PRESET,
        super::vercel::PRESET,
        super::mailgun::PRESET,
        super::mandrill::PRESET,
        super::coinbase::PRESET,
        super::zendesk::PRESET,
        super::woocommerce::PRESET,
        super::xero::PRESET,
        super::docusign::PRESET,
        super::boxcom::PRESET,
        super::dropbox::PRESET,
        super::asana::PRESET,
        super::segment::PRESET,
        super::aws_sns::PRESET,
        super::gcp_pubsub::PRESET,
        super::paypal::PRESET,
        super::plaid::PRESET,
        super::apple_app_store::PRESET,
        super::hubspot_v1::PRESET,
        super::hubspot_v2::PRESET,
        super::adyen::PRESET,
        super::worldline::PRESET,
        super::okta::PRESET,
        super::postmark::PRESET,
        super::standard_webhooks_senders::OPENAI,
        super::standard_webhooks_senders::CLERK,
        super::standard_webhooks_senders::RESEND,
        super::polar::PRESET,
        super::standard_webhooks_senders::BREX,
        super::standard_webhooks_senders::REPLICATE,
        super::standard_webhooks_senders::LIVEBLOCKS,
        super::standard_webhooks_senders::BEEHIIV,
        super::gitea::PRESET,
        super::gogs::PRESET,
        super::forgejo::PRESET,
        super::meta::PRESET,
        super::meta::WHATSAPP,
        super::meta::INSTAGRAM,
        super::notion::PRESET,
        super::jira::PRESET,
        super::gusto::PRESET,
        super::twitter::PRESET,
        super::airtable::PRESET,
        super::teams::PRESET,
        super::netlify::PRESET,
        super::vonage::PRESET,
        super::contentful::PRESET,
        super::persona::PRESET,
        super::braintree::PRESET,
    ];
    ALL
}

/// The preset named `name`, if any.
pub fn find_preset(name: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.name == name)
}

/// The options-reading constructor of preset `name`, if it has one: the key-fetching presets,
/// which read the route's `provider_options`. Presets without one take no `provider_options`.
pub fn options_builder(name: &str) -> Option<BuildWithOptions> {
    use super::{apple_app_store, aws_sns, gcp_pubsub, paypal, plaid};
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
