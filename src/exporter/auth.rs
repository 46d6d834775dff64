//! [`ScrapeAuth`]: the credentials a scrape must present, checked in constant time, with the
//! `401` challenge for requests that lack them.
//!
//! The two schemes are the ones Prometheus sends: `Authorization: Bearer <token>` (scrape
//! option `authorization: { credentials | credentials_file }`) and
//! `Authorization: Basic <base64(user:password)>` (scrape option `basic_auth`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use subtle::ConstantTimeEq;

use super::responses::text;

/// What Debug output and error messages show in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// A secret: never printed, compared in constant time.
#[derive(Clone)]
struct Secret(Box<[u8]>);

impl Secret {
    fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into().into_boxed_slice())
    }

    /// Whether `presented` equals the secret. The time taken depends on the lengths only,
    /// never on where the bytes differ (`subtle`). An empty secret matches nothing, so a
    /// blank configuration fails closed.
    fn matches(&self, presented: &[u8]) -> bool {
        !self.0.is_empty() && bool::from(self.0.as_ref().ct_eq(presented))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.as_ref().ct_eq(other.0.as_ref()))
    }
}

impl Eq for Secret {}

/// Basic credentials: the user name (not secret) and `user:password`, the decoded form of
/// what the client sends, as one secret.
#[derive(Clone, PartialEq, Eq)]
struct Basic {
    username: String,
    user_password: Secret,
}

/// The credentials a scrape must present to read the data routes of
/// [`Endpoints`](super::Endpoints) (the metrics path, `/catalog`, `/metadata`, `/summary`);
/// [`/health`](super::HEALTH_PATH) stays open so liveness probes need no secret. Default:
/// none, every request is answered.
///
/// With a bearer token, a basic user and password, or both, a request is answered when its
/// `Authorization` header carries one of them; otherwise it gets `401 Unauthorized` with a
/// `WWW-Authenticate` challenge per configured scheme (`Bearer realm="flowmeter"`,
/// `Basic realm="flowmeter", charset="UTF-8"`). The scheme name is matched
/// case-insensitively, the credentials exactly, in constant time: how long a comparison
/// takes depends only on the lengths, never on how much of a guess was right.
///
/// Secrets never appear in `Debug` output (they print as `<redacted>`) or in flowmeter's
/// logs and errors. Configure them from files (`FLOWMETER_BEARER_TOKEN_FILE`,
/// `FLOWMETER_BASIC_AUTH_PASSWORD_FILE`) rather than the environment, which other users of
/// the host can often read in `/proc`.
///
/// An empty token or password matches nothing, and so does a user name containing `:`
/// (Basic authentication cannot carry one): such a configuration refuses every request
/// rather than letting anyone in. The configuration sources reject them at install.
///
/// ```
/// use flowmeter::exporter::{Endpoints, ScrapeAuth};
///
/// let auth = ScrapeAuth::new().bearer_token("s3cret");
/// assert_eq!(format!("{auth:?}"), r#"ScrapeAuth { bearer_token: Some("<redacted>"), basic_auth: None }"#);
/// let endpoints = Endpoints::new("/metrics").auth(auth);
/// # let _ = endpoints;
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ScrapeAuth {
    bearer: Option<Secret>,
    basic: Option<Basic>,
}

impl ScrapeAuth {
    /// No credentials required (same as [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept `Authorization: Bearer <token>`, as Prometheus sends it with the scrape option
    /// `authorization: { credentials_file: <file holding token> }`. Replaces an earlier
    /// token. Default: no token.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(Secret::new(token.into()));
        self
    }

    /// Accept `Authorization: Basic <base64(username:password)>`, as Prometheus sends it with
    /// the scrape option `basic_auth: { username, password_file }`. Replaces earlier basic
    /// credentials. Default: none.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        let username = username.into();
        let password = password.into();
        // A user name with `:` cannot be sent (the client's colon splits it); an empty
        // password is a configuration slip. Either way: store a secret nothing matches.
        let user_password = if username.contains(':') || password.is_empty() {
            Secret::new(Vec::new())
        } else {
            Secret::new(format!("{username}:{password}"))
        };
        self.basic = Some(Basic { username, user_password });
        self
    }

    /// Whether any credentials are required.
    pub fn is_required(&self) -> bool {
        self.bearer.is_some() || self.basic.is_some()
    }

    /// Whether a bearer token is accepted.
    pub fn has_bearer_token(&self) -> bool {
        self.bearer.is_some()
    }

    /// The user name of the basic credentials, if any (the password is never readable back).
    pub fn basic_auth_username(&self) -> Option<&str> {
        self.basic.as_ref().map(|basic| basic.username.as_str())
    }

    /// Whether a request with these headers may read the protected routes: always when no
    /// credentials are required, else when `Authorization` carries a configured one.
    pub fn permits(&self, headers: &HeaderMap) -> bool {
        self.check(headers).is_ok()
    }

    /// [`permits`](Self::permits), and why not.
    pub(super) fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        if !self.is_required() {
            return Ok(());
        }
        let Some((scheme, credentials)) = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().split_once(' '))
        else {
            return Err(Refusal::Missing);
        };
        let credentials = credentials.trim_start();
        let matches = if scheme.eq_ignore_ascii_case("bearer") && self.bearer.is_some() {
            self.bearer.as_ref().is_some_and(|token| token.matches(credentials.as_bytes()))
        } else if scheme.eq_ignore_ascii_case("basic") && self.basic.is_some() {
            let basic = self.basic.as_ref().expect("checked above");
            // Undecodable base64 is a wrong credential like any other.
            BASE64.decode(credentials).is_ok_and(|decoded| basic.user_password.matches(&decoded))
        } else {
            return Err(Refusal::Scheme);
        };
        if matches { Ok(()) } else { Err(Refusal::Invalid) }
    }

    /// `401 Unauthorized`, with one `WWW-Authenticate` challenge per configured scheme.
    pub(super) fn challenge(&self) -> Response<Full<Bytes>> {
        let mut response = text(StatusCode::UNAUTHORIZED, "unauthorized: credentials required\n");
        let headers = response.headers_mut();
        if self.bearer.is_some() {
            headers.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="flowmeter""#),
            );
        }
        if self.basic.is_some() {
            headers.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="flowmeter", charset="UTF-8""#),
            );
        }
        response
    }
}

/// Why a request was refused: the `reason` of `ns_scrape_auth_refused_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No `Authorization` header, or one that is not `<scheme> <credentials>`.
    Missing,
    /// A scheme that is not configured (`Basic` when only a bearer token is, or unknown).
    Scheme,
    /// A configured scheme with credentials that do not match.
    Invalid,
}

impl Refusal {
    /// Every reason, in label order.
    pub(super) const ALL: [Refusal; 3] = [Refusal::Missing, Refusal::Scheme, Refusal::Invalid];

    /// The `reason` label value.
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Scheme => "scheme",
            Refusal::Invalid => "invalid",
        }
    }
}

impl fmt::Debug for ScrapeAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The user name is shown (it is not a secret, and helps debugging); passwords and
        // tokens never are.
        struct BasicRedacted<'a>(&'a str);
        impl fmt::Debug for BasicRedacted<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("BasicAuth")
                    .field("username", &self.0)
                    .field("password", &REDACTED)
                    .finish()
            }
        }
        f.debug_struct("ScrapeAuth")
            .field("bearer_token", &self.bearer.as_ref().map(|_| REDACTED))
            .field("basic_auth", &self.basic_auth_username().map(BasicRedacted))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        headers
    }

    fn basic(user_password: &str) -> HeaderMap {
        headers(&format!("Basic {}", BASE64.encode(user_password)))
    }

    #[test]
    fn no_credentials_configured_permits_everything() {
        let auth = ScrapeAuth::new();
        assert!(!auth.is_required());
        assert!(auth.permits(&HeaderMap::new()));
        assert!(auth.permits(&headers("Bearer anything")));
    }

    #[test]
    fn bearer_token_must_match_exactly() {
        let auth = ScrapeAuth::new().bearer_token("t0ken");
        assert!(auth.permits(&headers("Bearer t0ken")));
        assert!(auth.permits(&headers("bearer t0ken")), "the scheme is case-insensitive");
        for wrong in ["Bearer t0ke", "Bearer t0ken2", "Bearer T0KEN", "Bearer", "t0ken", ""] {
            assert!(!auth.permits(&headers(wrong)), "{wrong:?}");
        }
        assert!(!auth.permits(&HeaderMap::new()));
        assert!(!auth.permits(&basic("t0ken:t0ken")), "a bearer token is not a basic password");
    }

    #[test]
    fn basic_credentials_must_match_exactly() {
        let auth = ScrapeAuth::new().basic_auth("prometheus", "pa:ss");
        assert!(auth.permits(&basic("prometheus:pa:ss")));
        for wrong in ["prometheus:pa", "prometheus:pa:ss ", "Prometheus:pa:ss", ":pa:ss", ""] {
            assert!(!auth.permits(&basic(wrong)), "{wrong:?}");
        }
        assert!(!auth.permits(&headers("Basic not-base64!")));
        assert!(!auth.permits(&headers("Bearer pa:ss")));
    }

    #[test]
    fn both_schemes_accept_either() {
        let auth = ScrapeAuth::new().bearer_token("tok").basic_auth("u", "p");
        assert!(auth.permits(&headers("Bearer tok")));
        assert!(auth.permits(&basic("u:p")));
        let challenges: Vec<_> = auth
            .challenge()
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            challenges,
            [r#"Bearer realm="flowmeter""#, r#"Basic realm="flowmeter", charset="UTF-8""#]
        );
    }

    #[test]
    fn blank_or_unsendable_credentials_fail_closed() {
        assert!(!ScrapeAuth::new().bearer_token("").permits(&headers("Bearer ")));
        let empty_password = ScrapeAuth::new().basic_auth("u", "");
        assert!(!empty_password.permits(&basic("u:")));
        let colon_user = ScrapeAuth::new().basic_auth("a:b", "c");
        assert!(!colon_user.permits(&basic("a:b:c")));
        assert!(!colon_user.permits(&basic("a:b")));
    }

    #[test]
    fn a_refusal_says_why() {
        let auth = ScrapeAuth::new().bearer_token("tok");
        assert_eq!(auth.check(&headers("Bearer tok")), Ok(()));
        assert_eq!(auth.check(&HeaderMap::new()), Err(Refusal::Missing));
        assert_eq!(auth.check(&headers("Bearer")), Err(Refusal::Missing));
        assert_eq!(auth.check(&basic("u:tok")), Err(Refusal::Scheme), "basic is not configured");
        assert_eq!(auth.check(&headers("Digest tok")), Err(Refusal::Scheme));
        assert_eq!(auth.check(&headers("Bearer nope")), Err(Refusal::Invalid));
        let basic_only = ScrapeAuth::new().basic_auth("u", "p");
        assert_eq!(basic_only.check(&headers("Basic not-base64!")), Err(Refusal::Invalid));
        assert_eq!(basic_only.check(&headers("Bearer p")), Err(Refusal::Scheme));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let auth = ScrapeAuth::new().bearer_token("tok-123").basic_auth("alice", "pw-456");
        let debug = format!("{auth:?} {auth:#?}");
        assert!(!debug.contains("tok-123") && !debug.contains("pw-456"), "{debug}");
        assert!(debug.contains("alice") && debug.contains(REDACTED), "{debug}");
    }
}
