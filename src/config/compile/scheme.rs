//! A route's signature scheme: `provider`, `secrets`, `tolerance`, `signature`,
//! `provider_options` (checked by building the scheme once), and `public_url`.

use std::path::Path;
use std::time::Duration;

use super::super::error::{ConfigError, ConfigNotice};
use super::super::file::RouteSection;
use super::super::model::SchemeSpec;
use super::super::secret::{self, Secret};
use super::super::units::parse_duration;
use super::{CompileContext, RouteAt, FALLBACK_TOLERANCE};
use crate::providers::families::key_fetch::KeyFetchContext;
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
    let secrets = resolve_secrets(&r.secrets, at, ctx, notices)?;
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
        tolerance,
        signature: r.signature.clone(),
        provider_options: r.provider_options.clone(),
    })
}

/// `secrets`, each resolved (`env:`, `file:` or the literal); a notice for each secret file whose
/// trailing line ending was removed.
fn resolve_secrets(
    references: &[String],
    at: RouteAt<'_>,
    ctx: &CompileContext<'_>,
    notices: &mut Vec<ConfigNotice>,
) -> Result<Vec<Secret>, ConfigError> {
    // Relative `file:` paths resolve from the config file's directory, as nginx's from its prefix.
    let base_dir = ctx.file.parent().unwrap_or(Path::new(""));
    let mut secrets = Vec::with_capacity(references.len());
    for (i, reference) in references.iter().enumerate() {
        let key = format!("secrets[{i}]");
        let resolved = secret::resolve(reference, base_dir, ctx.env)
            .map_err(|e| at.err(&key, e.to_string()))?;
        if let Some(read) = resolved.file.filter(|f| f.trimmed_line_ending) {
            notices.push(ConfigNotice::route(
                at.file,
                at.route,
                &key,
                format!(
                    "removed one trailing line ending from secret file {}",
                    read.path.display()
                ),
            ));
        }
        secrets.push(resolved.secret);
    }
    Ok(secrets)
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
