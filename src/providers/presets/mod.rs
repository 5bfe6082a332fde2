//! The senders: each one's [`super::Preset`] (header, window, event ID, size, methods, the
//! document it follows), its constructor assembled from [`super::families`], and the published
//! vectors (the provider's docs or SDK output) its tests check. Senders that differ only in data
//! are rows of one table per family, with their vectors beside them (`hmac_body`,
//! `timestamp_list_senders`, `ed25519_senders`, `forge_senders`, `token_senders`,
//! `standard_webhooks_senders`); a sender with logic of its own has a file. Adding a sender is a
//! row (or a file) here and its line in [`super::families::registry`].

pub mod adyen;
pub mod apple_app_store;
pub mod asana;
pub mod aws_sns;
pub mod boxcom;
pub mod braintree;
pub mod contentful;
pub mod docusign;
pub mod dropbox;
pub mod ed25519_senders;
pub mod forge_senders;
pub mod gcp_pubsub;
pub mod hmac_body;
pub mod hubspot;
pub mod hubspot_v1;
pub mod hubspot_v2;
pub mod linear;
pub mod mailgun;
pub mod mandrill;
pub mod meta;
pub mod netlify;
pub mod pagerduty;
pub mod paypal;
pub mod persona;
pub mod plaid;
pub mod polar;
pub mod postmark;
pub mod sendgrid;
pub mod slack;
pub mod square;
pub mod standard_webhooks_senders;
pub mod svix;
pub mod timestamp_list_senders;
pub mod token_senders;
pub mod twilio;
pub mod twitch;
pub mod vonage;
pub mod worldline;
pub mod zendesk;
pub mod zoom;
