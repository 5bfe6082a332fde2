//! The list of presets. Adding a provider is adding its file and one line here.

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
        super::square::PRESET,
        super::paddle::PRESET,
        super::zoom::PRESET,
        super::calendly::PRESET,
        super::mux::PRESET,
        super::pagerduty::PRESET,
        super::hubspot::PRESET,
        super::twitch::PRESET,
        super::intercom::PRESET,
        super::typeform::PRESET,
        super::lemonsqueezy::PRESET,
        super::paystack::PRESET,
        super::razorpay::PRESET,
        super::sentry::PRESET,
        super::vercel::PRESET,
        super::coinbase::PRESET,
        super::zendesk::PRESET,
        super::woocommerce::PRESET,
        super::xero::PRESET,
        super::dropbox::PRESET,
        super::asana::PRESET,
        super::segment::PRESET,
    ];
    ALL
}

/// The preset named `name`, if any.
pub fn find_preset(name: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.name == name)
}
