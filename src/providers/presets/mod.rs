//! One file per sender: its [`super::Preset`] (header, window, event ID, size, methods, the
//! document it follows), its constructor assembled from [`super::families`], and the published
//! vectors (the provider's docs or SDK output) its tests check. Adding a sender is a file here and
//! its line in [`super::families::registry`].

pub mod adyen;
pub mod apple_app_store;
pub mod asana;
pub mod aws_sns;
pub mod boxcom;
pub mod braintree;
pub mod calendly;
pub mod contentful;
pub mod discord;
pub mod docusign;
pub mod dropbox;
pub mod forgejo;
pub mod gcp_pubsub;
pub mod gitea;
pub mod gitlab;
pub mod gogs;
pub mod hmac_body;
pub mod hubspot;
pub mod hubspot_v1;
pub mod hubspot_v2;
pub mod linear;
pub mod mailgun;
pub mod mandrill;
pub mod meta;
pub mod mux;
pub mod netlify;
pub mod okta;
pub mod paddle;
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
pub mod stripe;
pub mod svix;
pub mod telnyx;
pub mod twilio;
pub mod twitch;
pub mod vonage;
pub mod worldline;
pub mod zendesk;
pub mod zoom;
