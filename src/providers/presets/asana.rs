//! Asana: `X-Hook-Signature: <hex HMAC-SHA256(X-Hook-Secret, raw body)>`. When a webhook is
//! created Asana first POSTs a handshake carrying `X-Hook-Secret`; the answer echoes that header.
//! The echoed value is the signing secret: the operator must then configure it in `secrets`
//! (hookgate does not store it), after which events verify.
//! Source: developers.asana.com/reference/createwebhook and docs/webhooks-guide.

use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::families::handshake::Handshake;
use crate::providers::families::hmac_generic::BodyHmac;
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "asana",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary:
        "X-Hook-Signature: <hex> HMAC-SHA256 of the raw body; answers the X-Hook-Secret handshake",
    family: "hmac-body",
    headers: &["X-Hook-Signature"],
    reference: "developers.asana.com/docs/webhooks-guide",
    build,
    ..Preset::DEFAULTS
};

const HANDSHAKE: &str = "X-Hook-Secret";

fn handshake(_scheme: &BodyHmac, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
    let secret = common::single_header(req.headers, HANDSHAKE).ok()?;
    Some(LocalResponse {
        status: 200,
        content_type: "text/plain",
        headers: vec![(HANDSHAKE.to_string(), secret.to_string())],
        body: Vec::new(),
    })
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    Ok(Handshake::before_verify(
        BodyHmac::for_preset(
            settings,
            "X-Hook-Signature",
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
    use crate::providers::families::testkit::{headers, scheme, secs, Vector};

    // Official sample output: Asana's Asana/devrel-examples javascript/webhooks-nodejs/index.js @
    // 7f1833450aff98d52d21884d003e68f7dc5bbce4, run unchanged, echoes X-Hook-Secret on the
    // handshake carrying SECRET, then answers 200 to this event and 401 to an altered body:
    // scripts/provider-vectors/asana.mjs. The secret is the handshake example from
    // developers.asana.com/reference/createwebhook.
    const SECRET: &str = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";
    const BODY: &[u8] = b"{\"events\":[{\"action\":\"changed\",\"resource\":{\"gid\":\"1337\",\"resource_type\":\"task\"}}]}";

    #[test]
    fn official_sample_vector() {
        Vector::new(
            &PRESET,
            &[SECRET],
            &[(
                "X-Hook-Signature",
                "ea041544664f4f2cd966d54305d61d88a66beba19a228de211ca0d50eaf4f21f",
            )],
            BODY,
        )
        .assert_all();
    }

    #[test]
    fn handshake_echoes_the_secret() {
        let s = scheme(&PRESET, &["placeholder-until-handshake"], None);
        let map = headers(&[(HANDSHAKE, SECRET)]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://example.com/receive-webhook/7654",
            headers: &map,
            body: b"",
            now: secs(0),
        };
        let answer = s.unsigned_challenge(&req).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.headers,
            vec![(HANDSHAKE.to_string(), SECRET.to_string())]
        );
        let plain = headers(&[]);
        assert!(s
            .unsigned_challenge(&WebhookRequest {
                headers: &plain,
                ..req
            })
            .is_none());
    }
}
