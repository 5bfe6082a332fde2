//! Where an event ID or event type is read from: `"header:Name"` or `"json:/pointer"`.

use http::{HeaderMap, HeaderName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    Header(HeaderName),
    /// An RFC 6901 JSON pointer into the body.
    JsonPointer(String),
}

impl FieldSource {
    pub fn parse(text: &str) -> Result<FieldSource, String> {
        if let Some(name) = text.strip_prefix("header:") {
            HeaderName::from_bytes(name.trim().as_bytes())
                .map(FieldSource::Header)
                .map_err(|_| format!("{name:?} is not a valid header name"))
        } else if let Some(pointer) = text.strip_prefix("json:") {
            if pointer.is_empty() || pointer.starts_with('/') {
                Ok(FieldSource::JsonPointer(pointer.to_string()))
            } else {
                Err(format!(
                    "{pointer:?} is not a JSON pointer (it must start with '/', e.g. \"json:/id\")"
                ))
            }
        } else {
            Err(format!(
                "{text:?} must be \"header:Name\" or \"json:/pointer\""
            ))
        }
    }

    /// The field's value, if present. A JSON string is returned as is; a number or boolean as its
    /// JSON text. `json` is the body parsed once by the caller (`None` when it is not JSON).
    pub fn extract(&self, headers: &HeaderMap, json: Option<&serde_json::Value>) -> Option<String> {
        match self {
            FieldSource::Header(name) => {
                let mut values = headers.get_all(name).iter();
                let first = values.next()?;
                if values.next().is_some() {
                    return None;
                }
                first
                    .to_str()
                    .ok()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            }
            FieldSource::JsonPointer(pointer) => match json?.pointer(pointer)? {
                serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                    Some(v.to_string())
                }
                _ => None,
            },
        }
    }

    pub fn needs_json(&self) -> bool {
        matches!(self, FieldSource::JsonPointer(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_extracts() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"id":"evt_1","data":{"n":7},"empty":""}"#).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-event-id", "abc".parse().unwrap());
        let id = FieldSource::parse("json:/id").unwrap();
        assert_eq!(id.extract(&headers, Some(&json)).as_deref(), Some("evt_1"));
        let n = FieldSource::parse("json:/data/n").unwrap();
        assert_eq!(n.extract(&headers, Some(&json)).as_deref(), Some("7"));
        assert_eq!(
            FieldSource::parse("json:/empty")
                .unwrap()
                .extract(&headers, Some(&json)),
            None
        );
        let h = FieldSource::parse("header:X-Event-Id").unwrap();
        assert_eq!(h.extract(&headers, None).as_deref(), Some("abc"));
        assert!(FieldSource::parse("id").is_err());
        assert!(FieldSource::parse("json:id").is_err());
    }
}
