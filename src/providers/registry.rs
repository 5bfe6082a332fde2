//! The list of presets. Adding a provider is adding its file and one line here.

use super::Preset;

/// Every preset, in the order `hookgate check` and the README list them.
pub fn presets() -> &'static [Preset] {
    const ALL: &[Preset] = &[super::hmac_generic::PRESET];
    ALL
}

/// The preset named `name`, if any.
pub fn find_preset(name: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.name == name)
}
