//! Sample deliveries: each provider's documented body shape for one event type, with the
//! headers it sends, as data files (`samples/<preset>/<event>.json`, embedded at build time by
//! [`super::catalog`]). Each file cites the provider's document it follows (`docs`).
//!
//! A file is `{ "event", "docs", "content_type"?, "headers": {..}, "body": <JSON> | "form": [[k, v], ..] }`.
//! Placeholders make each delivery fresh, so a second trigger is not taken for a duplicate:
//! `{{id}}` (32 random hex digits), `{{uuid}}` (a random UUID), `{{now}}` (RFC 3339),
//! `{{unix}}` / `{{unix_ms}}` (a JSON string that is only the placeholder becomes a number;
//! inside text, its digits), `{{unix_str}}` (the seconds as text). Every sample puts a fresh
//! value where its preset reads the event ID (a test checks it).

use std::time::Duration;

use serde::Deserialize;

use super::catalog::SAMPLES;

/// One sample file, parsed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// The event type, as the provider names it.
    pub event: String,
    /// The provider's document the body shape and headers follow.
    pub docs: String,
    /// `Content-Type`; default `application/json` (`application/x-www-form-urlencoded` with
    /// `form`).
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    pub body: Option<serde_json::Value>,
    pub form: Option<Vec<(String, String)>>,
}

/// A sample made concrete: fresh values in, ready to sign and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The fresh values of one delivery.
#[derive(Debug, Clone)]
pub struct Fresh {
    pub id: String,
    pub uuid: String,
    pub now: Duration,
}

impl Fresh {
    /// New random values at `now` (Unix time).
    pub fn new(now: Duration) -> Fresh {
        let bits: u128 = rand::random();
        let u = bits.to_be_bytes();
        let uuid = format!(
            "{}-{}-4{}-{:x}{}-{}",
            hex::encode(&u[0..4]),
            hex::encode(&u[4..6]),
            &hex::encode(&u[6..8])[1..],
            8 | (u[8] & 0x3),
            &hex::encode(&u[8..10])[1..],
            hex::encode(&u[10..16]),
        );
        Fresh {
            id: hex::encode(rand::random::<u128>().to_be_bytes()),
            uuid,
            now,
        }
    }

    fn fill(&self, text: &str) -> String {
        let secs = self.now.as_secs().to_string();
        let millis = self.now.as_millis().to_string();
        text.replace("\"{{unix}}\"", &secs)
            .replace("\"{{unix_ms}}\"", &millis)
            .replace("{{unix_ms}}", &millis)
            .replace("{{unix_str}}", &secs)
            .replace("{{unix}}", &secs)
            .replace("{{id}}", &self.id)
            .replace("{{uuid}}", &self.uuid)
            .replace(
                "{{now}}",
                &crate::providers::families::common::format_rfc3339(self.now.as_secs()),
            )
    }
}

impl Sample {
    /// The sample with `fresh` values in.
    pub fn render(&self, fresh: &Fresh) -> Rendered {
        let (content_type, body) = match (&self.form, &self.body) {
            (Some(fields), _) => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (k, v) in fields {
                    form.append_pair(k, &fresh.fill(v));
                }
                ("application/x-www-form-urlencoded", form.finish())
            }
            (None, body) => {
                let text = serde_json::to_string(body.as_ref().unwrap_or(&serde_json::Value::Null))
                    .expect("a JSON value serializes");
                ("application/json", fresh.fill(&text))
            }
        };
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), fresh.fill(v.as_str().unwrap_or_default())))
            .collect();
        Rendered {
            content_type: self.content_type.clone().unwrap_or(content_type.into()),
            headers,
            body: body.into_bytes(),
        }
    }
}

/// Every sample of `preset`, in file-name order.
pub fn for_preset(preset: &str) -> Vec<Sample> {
    SAMPLES
        .iter()
        .filter(|(p, _)| *p == preset)
        .map(|(_, text)| parse(text))
        .collect()
}

/// The presets that have samples, in catalog order, without repeats.
pub fn presets() -> Vec<&'static str> {
    let mut names: Vec<&str> = SAMPLES.iter().map(|(p, _)| *p).collect();
    names.dedup();
    names
}

fn parse(text: &str) -> Sample {
    // The files are part of the build and checked by the tests: a bad one is a build defect.
    serde_json::from_str(text).expect("samples/*.json are valid (tests check each)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::field_source::FieldSource;

    #[test]
    fn every_sample_file_is_listed_and_parses() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut on_disk = 0;
        for preset in std::fs::read_dir(&root).unwrap() {
            let preset = preset.unwrap();
            for file in std::fs::read_dir(preset.path()).unwrap() {
                let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
                let name = preset.file_name().into_string().unwrap();
                assert!(
                    SAMPLES.contains(&(name.as_str(), text.as_str())),
                    "{name}: a sample file is not in src/trigger/catalog.rs"
                );
                on_disk += 1;
            }
        }
        assert_eq!(on_disk, SAMPLES.len());
        for (preset, text) in SAMPLES {
            let sample: Sample =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{preset}: {e}"));
            assert!(sample.docs.starts_with("https://"), "{preset}: docs URL");
            assert!(crate::providers::find_preset(preset).is_some(), "{preset}");
        }
    }

    /// The fresh ID lands where the preset reads the event ID, and the event type where it
    /// reads the type, so dedup does not take a second trigger for a duplicate and `events`
    /// filters see the sample's type.
    #[test]
    fn fresh_ids_land_where_the_preset_reads_them() {
        for preset in crate::providers::presets() {
            for sample in for_preset(preset.name) {
                let a = sample.render(&Fresh::new(Duration::from_secs(1_700_000_000)));
                let b = sample.render(&Fresh::new(Duration::from_secs(1_700_000_000)));
                let what = format!("{} {}", preset.name, sample.event);
                assert_ne!(a.body.len(), 0, "{what}");
                if sample.form.is_none() {
                    serde_json::from_slice::<serde_json::Value>(&a.body)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                }
                let read = |r: &Rendered, source: &str| {
                    let mut headers = http::HeaderMap::new();
                    for (k, v) in &r.headers {
                        headers.append(
                            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                            v.parse().unwrap(),
                        );
                    }
                    FieldSource::parse(source)
                        .unwrap()
                        .extract(&headers, &r.body)
                };
                if let Some(source) = preset.event_id {
                    let (ia, ib) = (read(&a, source), read(&b, source));
                    assert!(ia.is_some(), "{what}: no event ID at {source}");
                    assert_ne!(ia, ib, "{what}: the event ID at {source} is not fresh");
                }
                // The sample's `event` may name the inner event (Slack's `event_callback`
                // wraps `app_mention`); the type field must be there either way.
                if let Some(source) = preset.event_type {
                    assert!(
                        read(&a, source).is_some(),
                        "{what}: no event type at {source}"
                    );
                }
            }
        }
    }
}
