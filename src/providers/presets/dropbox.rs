//! Dropbox: `X-Dropbox-Signature: <hex HMAC-SHA256(app secret, raw body)>`; the endpoint is
//! verified first by `GET ?challenge=X`, answered with `X` as text/plain and
//! `X-Content-Type-Options: nosniff`.
//! Source: dropbox.com/developers/reference/webhooks; webhooks.fyi.

use crate::providers::families::common::{Algorithm, Encoding};
use crate::providers::families::handshake::Handshake;
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "dropbox",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "X-Dropbox-Signature: <hex> HMAC-SHA256 of the raw body; answers GET ?challenge=",
    family: "hmac-body",
    headers: &["X-Dropbox-Signature"],
    reference: "dropbox.com/developers/reference/webhooks",
    build,
    ..Preset::DEFAULTS
};

fn handshake(_scheme: &BodyHmac, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
    if !req.method.eq_ignore_ascii_case("GET") {
        return None;
    }
    let query = req.public_url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    let challenge = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "challenge")
        .map(|(_, v)| v.into_owned())?;
    Some(LocalResponse {
        status: 200,
        content_type: "text/plain",
        headers: vec![("X-Content-Type-Options".into(), "nosniff".into())],
        body: challenge.into_bytes(),
    })
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    Ok(Handshake::before_verify_from_url(
        BodyHmac::for_preset(
            settings,
            "X-Dropbox-Signature",
            Algorithm::Sha256,
            Encoding::Hex,
            "",
        )?,
        handshake,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, scheme, secs, url_seen_by, Vector};

    // Checked by Dropbox's official webhook sample, github.com/dropbox/mdwebhook app.py
    // @ 1b32d5aec51019eb698905345a21af46e0d4be8e: its `webhook()` view (hex HMAC-SHA256 of the raw
    // body with the app secret) accepts this vector and answers 403 to a tampered body, and its
    // `challenge()` view echoes `challenge` as text/plain with `X-Content-Type-Options: nosniff`;
    // run by scripts/provider-vectors/dropbox.py.
    const BODY: &[u8] =
        b"{\"list_folder\":{\"accounts\":[\"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc\"]},\"delta\":{\"users\":[12345678]}}";

    #[test]
    fn mdwebhook_sample_vector() {
        Vector::new(
            &PRESET,
            &["dropbox-app-secret"],
            &[(
                "X-Dropbox-Signature",
                "450ef9f57aef4016f16da031b9d4597c8f4672296e2d3b8d98fd21af6db3fd6a",
            )],
            BODY,
        )
        .assert_all();
    }

    #[test]
    fn challenge_is_echoed_as_plain_text() {
        let s = scheme(&PRESET, &["dropbox-app-secret"], None);
        let map = headers(&[]);
        let get = WebhookRequest {
            method: "GET",
            // As the request path hands it: built only when the scheme says it reads it.
            public_url: url_seen_by(
                s.as_ref(),
                "https://hooks.example.com/dropbox?challenge=abc%20123",
            ),
            headers: &map,
            body: b"",
            now: secs(0),
        };
        let answer = s.unsigned_challenge(&get).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "text/plain");
        assert_eq!(answer.body, b"abc 123");
        assert!(answer
            .headers
            .contains(&("X-Content-Type-Options".into(), "nosniff".into())));
        assert!(s
            .unsigned_challenge(&WebhookRequest {
                method: "POST",
                ..get
            })
            .is_none());
        let no_challenge = WebhookRequest {
            public_url: "https://hooks.example.com/dropbox",
            ..get
        };
        assert!(s.unsigned_challenge(&no_challenge).is_none());
    }
}
