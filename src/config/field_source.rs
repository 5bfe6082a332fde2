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
    /// JSON text. A JSON pointer is read from `body` without building the document
    /// ([`crate::json_pointer`]); a body that is not JSON has no field.
    pub fn extract(&self, headers: &HeaderMap, body: &[u8]) -> Option<String> {
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
            FieldSource::JsonPointer(pointer) => crate::json_pointer::scalar_at(body, pointer)
                .map(crate::json_pointer::Scalar::into_text)
                .filter(|v| !v.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_extracts() {
        let json = br#"{"id":"evt_1","data":{"n":7},"empty":""}"#;
        let mut headers = HeaderMap::new();
        headers.insert("x-event-id", "abc".parse().unwrap());
        let id = FieldSource::parse("json:/id").unwrap();
        assert_eq!(id.extract(&headers, json).as_deref(), Some("evt_1"));
        let n = FieldSource::parse("json:/data/n").unwrap();
        assert_eq!(n.extract(&headers, json).as_deref(), Some("7"));
        assert_eq!(
            FieldSource::parse("json:/empty")
                .unwrap()
                .extract(&headers, json),
            None
        );
        let h = FieldSource::parse("header:X-Event-Id").unwrap();
        assert_eq!(h.extract(&headers, b"not json").as_deref(), Some("abc"));
        assert!(FieldSource::parse("id").is_err());
        assert!(FieldSource::parse("json:id").is_err());
    }
}
