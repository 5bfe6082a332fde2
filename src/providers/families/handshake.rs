//! A scheme plus a verification handshake the gateway answers itself (Slack `url_verification`,
//! Dropbox `?challenge=`, …). Providers give the answer as a plain function; the delegation to
//! the scheme is written once here.

use crate::providers::{LocalResponse, Rejection, Scheme, SignError, WebhookRequest};

/// Answers a handshake request, given the provider's scheme (for handshakes that sign with the
/// route's secret); `None` when the request is not a handshake.
pub type Answer<S> = fn(&S, &WebhookRequest<'_>) -> Option<LocalResponse>;

pub struct Handshake<S> {
    scheme: S,
    before_verify: Option<Answer<S>>,
    after_verify: Option<Answer<S>>,
    /// The answer reads [`WebhookRequest::public_url`] (its query string).
    answer_reads_url: bool,
}

impl<S: Scheme + 'static> Handshake<S> {
    /// A handshake that carries no signature (consulted before verification).
    pub fn before_verify(scheme: S, answer: Answer<S>) -> Box<dyn Scheme> {
        Box::new(Handshake {
            scheme,
            before_verify: Some(answer),
            after_verify: None,
            answer_reads_url: false,
        })
    }

    /// Like [`Handshake::before_verify`], for an answer that reads the request's URL (Dropbox's
    /// `GET ?challenge=`): the request path then builds [`WebhookRequest::public_url`].
    pub fn before_verify_from_url(scheme: S, answer: Answer<S>) -> Box<dyn Scheme> {
        Box::new(Handshake {
            scheme,
            before_verify: Some(answer),
            after_verify: None,
            answer_reads_url: true,
        })
    }

    /// A handshake carried by a signed request (consulted only after it verified).
    pub fn after_verify(scheme: S, answer: Answer<S>) -> Box<dyn Scheme> {
        Box::new(Handshake {
            scheme,
            before_verify: None,
            after_verify: Some(answer),
            answer_reads_url: false,
        })
    }
}

impl<S: Scheme> Scheme for Handshake<S> {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        self.scheme.verify(req)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        self.scheme.sign(req)
    }

    fn reads_public_url(&self) -> bool {
        self.answer_reads_url || self.scheme.reads_public_url()
    }

    fn unsigned_challenge(&self, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        self.before_verify
            .and_then(|answer| answer(&self.scheme, req))
    }

    fn signed_challenge(&self, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        self.after_verify
            .and_then(|answer| answer(&self.scheme, req))
    }
}
