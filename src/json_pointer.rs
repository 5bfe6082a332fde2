//! One JSON Pointer (RFC 6901) target read out of a body without building the document.
//!
//! Parsing a body into a `serde_json::Value` costs 26–41× its size (`cargo bench --bench
//! json_memory`), and schemes read their fields before the signature is checked, so anyone could
//! make the gateway pay that. Here the body is first checked to be one JSON value that
//! `serde_json::Value` would accept — same recursion limit (128), number range and string escapes
//! — by a deserializer that keeps nothing ([`Skip`]); then serde_json walks it one level per
//! pointer token, skipping members off the path and keeping the member on it as a borrowed
//! [`RawValue`] (a slice of the body). Memory is the nesting depth (at most 128) plus the longest
//! string's unescaped copy and the scalar returned, whatever the body holds. Of duplicate keys the
//! last wins, as with `Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;

/// A scalar found at a pointer: what a webhook field (ID, type, timestamp, signature) can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// A JSON string, unescaped.
    String(String),
    /// A JSON number, as serde_json prints it (`1700000000`, `1.5`).
    Number(String),
    Bool(bool),
}

impl Scalar {
    /// The text a field source yields: a string as is, a number or boolean as its JSON text.
    pub fn into_text(self) -> String {
        match self {
            Scalar::String(s) | Scalar::Number(s) => s,
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// The raw JSON at `pointer` in `body` (`""` is the whole body). `None` when the body is not
/// UTF-8 or not one well-formed JSON value, or nothing is at `pointer` (a missing key, an index
/// past the end or not a decimal index without leading zeros, a scalar on the way).
pub fn raw_at<'a>(body: &'a [u8], pointer: &str) -> Option<&'a RawValue> {
    let text = std::str::from_utf8(body).ok()?;
    serde_json::from_str::<Skip>(text).ok()?;
    if pointer.is_empty() {
        return serde_json::from_str(text).ok();
    }
    let tokens = pointer.strip_prefix('/')?;
    // Each step reads the text of the value before it (the whole body first, already checked).
    let mut current: Option<&'a RawValue> = None;
    for token in tokens.split('/') {
        let token = unescape(token);
        let within = current.map_or(text, RawValue::get);
        let mut de = serde_json::Deserializer::from_str(within);
        current = Some(de.deserialize_any(Step { token: &token }).ok()??);
    }
    current
}

/// The scalar at `pointer` in `body`; `None` as for [`raw_at`], or when the target is an object,
/// an array or `null`.
pub fn scalar_at(body: &[u8], pointer: &str) -> Option<Scalar> {
    scalar(raw_at(body, pointer)?)
}

/// The scalar `raw` holds (see [`scalar_at`]).
pub fn scalar(raw: &RawValue) -> Option<Scalar> {
    let text = raw.get();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str(text).ok().map(Scalar::String),
        b't' | b'f' => serde_json::from_str(text).ok().map(Scalar::Bool),
        b'-' | b'0'..=b'9' => serde_json::from_str::<serde_json::Number>(text)
            .ok()
            .map(|n| Scalar::Number(n.to_string())),
        _ => None,
    }
}

/// Calls `each` with every element of the array `raw`, in order, without collecting them; `Err`
/// when `raw` is not an array. Stops at the first `Some` that `each` returns and hands it back.
pub fn find_in_array<'a, T>(
    raw: &'a RawValue,
    each: impl FnMut(&'a RawValue) -> Option<T>,
) -> Result<Option<T>, NotAnArray> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    de.deserialize_any(Elements { each })
        .map_err(|_| NotAnArray)
}

/// [`find_in_array`] was handed something other than a JSON array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON array")]
pub struct NotAnArray;

/// A JSON value read and thrown away. Unlike [`IgnoredAny`] (which serde_json skips without
/// parsing numbers or escapes and without its recursion limit), it goes through
/// `deserialize_any`, so it refuses exactly what `serde_json::Value` refuses: nesting deeper than
/// 128, numbers out of range, invalid escapes such as a lone surrogate.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// RFC 6901 §4: `~1` is `/`, then `~0` is `~`.
fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// An array index token as serde_json's `Value::pointer` reads it: decimal, no sign, no leading
/// zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// One pointer step: the member `token` of an object, or the element `token` of an array.
/// `Ok(None)` when the value has no such member or is a scalar.
struct Step<'t> {
    token: &'t str,
}

impl<'de> Visitor<'de> for Step<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(hit) = map.next_key_seed(KeyIs(self.token))? {
            if hit {
                found = Some(map.next_value::<&'de RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = index(self.token);
        let mut found = None;
        let mut i = 0usize;
        loop {
            if Some(i) == wanted {
                match seq.next_element::<&'de RawValue>()? {
                    Some(v) => found = Some(v),
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(found)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Reads an object key and says whether it is `.0`, without keeping it: serde_json hands over a
/// slice of the body, or of its scratch buffer when the key has escapes (no `String` per key).
struct KeyIs<'t>(&'t str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

/// Walks an array's elements for [`find_in_array`]; the elements after a hit are still read, so
/// the array is validated whole.
struct Elements<F> {
    each: F,
}

impl<'de, T, F: FnMut(&'de RawValue) -> Option<T>> Visitor<'de> for Elements<F> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while found.is_none() {
            match seq.next_element::<&'de RawValue>()? {
                Some(v) => found = (self.each)(v),
                None => return Ok(None),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"{"a":{"b":[10,{"c":"x\"y"},true]},"a/b":1,"m~n":2,"":3,"n":null,"f":1.5,"dup":1,"dup":"last"}"#;

    /// Every pointer `Value::pointer` resolves to a scalar, `scalar_at` resolves to the same.
    #[test]
    fn agrees_with_value_pointer_on_rfc6901_cases() {
        let value: serde_json::Value = serde_json::from_str(DOC).unwrap();
        for pointer in [
            "/a/b/0",
            "/a/b/1/c",
            "/a/b/2",
            "/a~1b",
            "/m~0n",
            "/",
            "/n",
            "/f",
            "/dup",
            "/a/b/3",
            "/a/b/01",
            "/a/b/+1",
            "/a/x",
            "/a/b/0/deeper",
            "/a",
            "nope",
        ] {
            let expected = match value.pointer(pointer) {
                Some(serde_json::Value::String(s)) => Some(Scalar::String(s.clone())),
                Some(serde_json::Value::Number(n)) => Some(Scalar::Number(n.to_string())),
                Some(serde_json::Value::Bool(b)) => Some(Scalar::Bool(*b)),
                _ => None,
            };
            assert_eq!(scalar_at(DOC.as_bytes(), pointer), expected, "{pointer}");
        }
        assert_eq!(
            raw_at(DOC.as_bytes(), "/a/b").map(RawValue::get),
            Some(r#"[10,{"c":"x\"y"},true]"#)
        );
    }

    /// A body `Value` refuses is refused here, even when the pointer's target comes first and
    /// the fault is off its path: syntax, number range, escapes, nesting past 128.
    #[test]
    fn malformed_bodies_yield_nothing() {
        let deep = |n: usize| format!(r#"{{"id":"a","x":{}{}}}"#, "[".repeat(n), "]".repeat(n));
        assert!(serde_json::from_str::<serde_json::Value>(&deep(126)).is_ok());
        assert_eq!(
            scalar_at(deep(126).as_bytes(), "/id"),
            Some(Scalar::String("a".into()))
        );
        let deep_bodies = [
            deep(128),
            deep(100_000),
            format!(r#"{{"id":"a","x":{}"#, "[".repeat(100_000)),
        ];
        for body in deep_bodies.iter().map(|b| b.as_bytes()).chain([
            &br#"{"id":"a","x":[1,2"#[..],
            br#"{"id":"a"} trailing"#,
            br#"{"id":"a","x":tru}"#,
            br#"{"id":"a","x":1e400}"#,
            br#"{"id":"a","x":"\ud800"}"#,
            br#"{"id":"a","x":{"\ud800":1}}"#,
            b"\xff{\"id\":\"a\"}",
            b"",
        ]) {
            assert!(serde_json::from_slice::<serde_json::Value>(body).is_err());
            assert_eq!(
                scalar_at(body, "/id"),
                None,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn find_in_array_walks_elements_and_refuses_non_arrays() {
        let raw: &RawValue = serde_json::from_str(r#"[{"k":1},{"k":2},{"k":3}]"#).unwrap();
        let mut seen = Vec::new();
        let hit = find_in_array(raw, |item| {
            let k = scalar_at(item.get().as_bytes(), "/k");
            seen.push(k.clone());
            (k == Some(Scalar::Number("2".into()))).then_some("hit")
        });
        assert_eq!(hit, Ok(Some("hit")));
        assert_eq!(seen.len(), 2);
        let object: &RawValue = serde_json::from_str(r#"{"k":1}"#).unwrap();
        assert_eq!(find_in_array(object, |_| Some(())), Err(NotAnArray));
    }

    proptest! {
        /// On arbitrary JSON documents and pointers into them, `scalar_at` and `Value::pointer`
        /// agree.
        #[test]
        fn agrees_with_value_pointer(doc in arb_json(), path in proptest::collection::vec("[a-c0-2~/]{0,3}", 0..4)) {
            let text = doc.to_string();
            let pointer: String = path.iter().map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1"))).collect();
            let expected = match doc.pointer(&pointer) {
                Some(serde_json::Value::String(s)) => Some(Scalar::String(s.clone())),
                Some(serde_json::Value::Number(n)) => Some(Scalar::Number(n.to_string())),
                Some(serde_json::Value::Bool(b)) => Some(Scalar::Bool(*b)),
                _ => None,
            };
            prop_assert_eq!(scalar_at(text.as_bytes(), &pointer), expected);
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            "[a-c~/\"\\\\ ]{0,4}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-c0-2~/]{0,3}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
