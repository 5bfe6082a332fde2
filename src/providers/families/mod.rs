//! The scheme families and the mechanics every preset shares: what a preset is built from, not a
//! sender. Here go the generic families a route configures itself (`hmac`, `token`, `basic`,
//! `ed25519`, `standard-webhooks`), the building blocks presets assemble (HMAC over the body or
//! over parts, form fields, handshakes, timestamp windows, constant-time compare in `common`), the
//! key-fetching family (`key_fetch/`), the preset list (`registry`), the README table (`catalog`)
//! and the test kit that checks every preset's published vectors.
//!
//! A file here names no sender; a sender's data and constructor go in
//! [`super::presets`].

pub mod basic;
pub mod catalog;
pub mod common;
pub mod ed25519;
#[cfg(test)]
pub(super) mod event_ids;
pub mod forge_payload;
pub mod form;
pub mod handshake;
pub mod hmac_generic;
pub mod key_fetch;
pub mod parts_hmac;
#[cfg(test)]
pub(super) mod proptests;
pub mod registry;
pub mod route_scheme;
pub mod standard_webhooks;
#[cfg(test)]
pub(super) mod testkit;
pub mod timestamp_list;
pub mod token;
pub mod url_params_hmac;
#[cfg(test)]
pub(super) mod windows;
