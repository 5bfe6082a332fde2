//! A route's signature scheme: `provider`, `secrets`, `tolerance`, `signature`,
//! `provider_options` (checked by building the scheme once), and `public_url`.

use std::path::Path;
use std::time::Duration;

use super::super::error::{ConfigError, ConfigNotice};
use super::super::file::RouteSection;
use super::super::model::SchemeSpec;
use super::super::secret::Secret;
use super::super::secret_entry::{self, Validity};
use super::super::units::parse_duration;
use super::{CompileContext, RouteAt, FALLBACK_TOLERANCE};
use crate::providers::families::key_fetch::KeyFetchContext;
use crate::providers::families::route_scheme::splits;
use crate::providers::{build_scheme, find_preset, presets, Preset, SchemeSettings};

/// The route's [`SchemeSpec`]: the preset, its resolved secrets and tolerance, checked by
/// building the scheme once (with throw-away key-fetch counters; the gateway builder builds the
/// one it runs).
pub(super) fn compile_scheme(
    r: &RouteSection,
    at: RouteAt<'_>,
    ctx: &CompileContext<'_>,
    notices: &mut Vec<ConfigNotice>,
) -> Result<SchemeSpec, ConfigError> {
    let preset = find_preset(&r.provider).ok_or_else(|| {
        let known: Vec<&str> = presets().iter().map(|p| p.name).collect();
        at.err(
            "provider",
            format!(
                "unknown provider {:?}; known: {}",
                r.provider,
                known.join(", ")
            ),
        )
    })?;
    let (secrets, windows) = resolve_secrets(r, preset, at, ctx, notices)?;
    let tolerance = tolerance(r, preset, at)?;
    build_scheme(
        preset,
        &SchemeSettings {
            secrets: &secrets,
            tolerance,
            signature: r.signature.as_ref(),
        },
        r.provider_options.as_ref(),
        &KeyFetchContext::default(),
    )
    .map_err(|e| at.err(e.key, e.message))?;
    Ok(SchemeSpec {
        preset,
        secrets,
        windows,
        tolerance,
        signature: r.signature.clone(),
        provider_options: r.provider_options.clone(),
    })
}

/// `secrets`, each resolved (`env:`, `file:` or the literal) with its `from`/`until` window
/// ([`secret_entry`]); notices for a trimmed secret file and for a window that is expired, expiring
/// or not open yet. Windows need secrets the route tries one by one (not key-fetching presets,
/// not Box's positional pair).
fn resolve_secrets(
    r: &RouteSection,
    preset: &Preset,
    at: RouteAt<'_>,
    ctx: &CompileContext<'_>,
    notices: &mut Vec<ConfigNotice>,
) -> Result<(Vec<Secret>, Vec<Validity>), ConfigError> {
    // Relative `file:` paths resolve from the config file's directory, as nginx's from its prefix.
    let base_dir = ctx.file.parent().unwrap_or(Path::new(""));
    let (secrets, windows) =
        secret_entry::compile_all(&r.secrets, at.file, at.route, base_dir, ctx.env, notices)?;
    if !splits(preset.name) && windows.iter().any(|w| w.is_bounded()) {
        return Err(at.err(
            "secrets",
            format!(
                "provider {:?} does not take its secrets as alternatives (its keys are fetched from the provider, or positional); `from`/`until` do not apply",
                preset.name
            ),
        ));
    }
    Ok((secrets, windows))
}

/// `tolerance`: the route's, else the preset's default; refused where no signed timestamp is
/// checked.
fn tolerance(r: &RouteSection, preset: &Preset, at: RouteAt<'_>) -> Result<Duration, ConfigError> {
    let timestamped = preset.default_tolerance.is_some()
        || r.signature
            .as_ref()
            .is_some_and(|s| s.timestamp_header.is_some());
    match &r.tolerance {
        Some(_) if !timestamped => Err(at.err(
            "tolerance",
            format!(
                "provider {:?} checks no signed timestamp on this route, so a replay window cannot apply; remove the key",
                preset.name
            ),
        )),
        Some(t) => parse_duration(t).map_err(|m| at.err("tolerance", m)),
        None => Ok(preset.default_tolerance.unwrap_or(FALLBACK_TOLERANCE)),
    }
}

/// `public_url`: a URL without a query (the request's is appended), for URL-signing schemes.
pub(super) fn public_url(
    url: Option<&str>,
    at: RouteAt<'_>,
) -> Result<Option<String>, ConfigError> {
    let Some(u) = url else { return Ok(None) };
    let parsed = url::Url::parse(u).map_err(|e| at.err("public_url", format!("{u:?}: {e}")))?;
    if parsed.query().is_some() {
        return Err(at.err(
            "public_url",
            "must not contain a query (the request's is appended)".into(),
        ));
    }
    Ok(Some(u.to_string()))
}
