//! A route's event fields: where the event ID is read, `dedup`, `event_type` and the `events`
//! filter.

use super::super::error::ConfigError;
use super::super::field_source::FieldSource;
use super::super::file::{DedupSection, RouteSection};
use super::super::model::{DedupOnError, DedupSpec, EventTypes, KeyScope};
use super::super::units::parse_duration;
use super::{RouteAt, DEFAULT_DEDUP_MAX_ENTRIES, DEFAULT_DEDUP_TTL};
use crate::providers::DedupScope;
use crate::providers::Preset;

/// The event fields of a [`super::RouteConfig`].
pub(super) struct EventFields {
    pub event_id: Vec<FieldSource>,
    pub dedup: Option<DedupSpec>,
    pub event_type: Option<FieldSource>,
    pub events: Option<EventTypes>,
}

/// The route's event ID sources and `dedup`, then `event_type` and `events`.
pub(super) fn compile_events(
    r: &RouteSection,
    preset: &'static Preset,
    at: RouteAt<'_>,
) -> Result<EventFields, ConfigError> {
    let mut event_id = preset_event_ids(preset).map_err(|m| at.err("provider", m))?;
    let dedup = match &r.dedup {
        None => None,
        Some(d) => {
            let (spec, ids) = dedup(d, preset, at)?;
            event_id = ids;
            Some(spec)
        }
    };
    let event_type = match r.event_type.as_deref().or(preset.event_type) {
        None => None,
        Some(t) => Some(FieldSource::parse(t).map_err(|m| at.err("event_type", m))?),
    };
    let events = match &r.events {
        None => None,
        Some(list) => {
            if event_type.is_none() {
                return Err(at.err(
                    "events",
                    format!(
                        "provider {:?} has no event-type source; set `event_type = \"json:/pointer\"` or `\"header:Name\"`",
                        preset.name
                    ),
                ));
            }
            Some(EventTypes::new(list.iter().cloned()))
        }
    };
    Ok(EventFields {
        event_id,
        dedup,
        event_type,
        events,
    })
}

/// `dedup = { ttl, max_entries, id, on_store_error, shared }`, and the event ID sources it
/// implies: the route's own `id` replaces the preset's sources; else the aliases follow.
fn dedup(
    d: &DedupSection,
    preset: &'static Preset,
    at: RouteAt<'_>,
) -> Result<(DedupSpec, Vec<FieldSource>), ConfigError> {
    let ttl = match &d.ttl {
        None => DEFAULT_DEDUP_TTL,
        Some(t) => parse_duration(t).map_err(|m| at.err("dedup.ttl", m))?,
    };
    // Stores keep expiries in whole milliseconds: a shorter `ttl` forgets a delivered ID at once,
    // which would turn dedup off silently while `hookgate check` still shows it on.
    if ttl < std::time::Duration::from_millis(1) {
        return Err(at.err(
            "dedup.ttl",
            "must be at least 1ms (a delivered event ID is remembered this long)".into(),
        ));
    }
    let max_entries = d.max_entries.unwrap_or(DEFAULT_DEDUP_MAX_ENTRIES);
    if max_entries == 0 {
        return Err(at.err("dedup.max_entries", "must be at least 1".into()));
    }
    let id_text = d.id.as_deref().or(preset.event_id).ok_or_else(|| {
        at.err(
            "dedup.id",
            format!(
                "provider {:?} has no event-ID source; set `id = \"json:/pointer\"` or `id = \"header:Name\"`",
                preset.name
            ),
        )
    })?;
    let id = FieldSource::parse(id_text).map_err(|m| at.err("dedup.id", m))?;
    let event_id = if d.id.is_some() {
        vec![id.clone()]
    } else {
        preset_event_ids(preset).map_err(|m| at.err("dedup.id", m))?
    };
    let on_store_error = match d.on_store_error.as_deref() {
        None => DedupOnError::default(),
        Some(text) => parse_dedup_policy(text).map_err(|m| at.err("dedup.on_store_error", m))?,
    };
    let spec = DedupSpec {
        ttl,
        max_entries,
        id,
        on_store_error,
        scope: if d.id.is_some() {
            KeyScope::None
        } else {
            key_scope(preset).map_err(|m| at.err("dedup.id", m))?
        },
        shared: d.shared.unwrap_or(true),
    };
    Ok((spec, event_id))
}

/// `dedup.on_store_error`: `forward` or `reject`.
fn parse_dedup_policy(text: &str) -> Result<DedupOnError, String> {
    match text {
        "forward" => Ok(DedupOnError::Forward),
        "reject" => Ok(DedupOnError::Reject),
        _ => Err(format!("{text:?} is not one of \"forward\", \"reject\"")),
    }
}

/// A preset's event-ID sources (`event_id`, then `event_id_aliases`), parsed.
fn preset_event_ids(preset: &Preset) -> Result<Vec<FieldSource>, String> {
    preset.event_id_sources().map(FieldSource::parse).collect()
}

/// The preset's dedup key scope, its field sources parsed.
fn key_scope(preset: &Preset) -> Result<KeyScope, String> {
    Ok(match preset.dedup_scope {
        DedupScope::Delivery => KeyScope::None,
        DedupScope::Secret => KeyScope::Secret,
        DedupScope::Fields(sources) => KeyScope::Fields(
            sources
                .iter()
                .map(|s| FieldSource::parse(s))
                .collect::<Result<_, _>>()?,
        ),
    })
}
