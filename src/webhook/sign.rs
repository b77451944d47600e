//! Signatures as the Standard Webhooks specification defines them: the
//! receiver's idempotency key `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature`, a space-separated list of
//! `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` — one per valid
//! secret, so a receiver keeps verifying across a rotation. A subscription may
//! add HMAC-SM3 (GB/T 32905) entries, versioned `v1sm3`, which standard
//! receivers skip as an unknown version.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};

/// Every secret starts with this, as the specification's libraries expect.
pub const SECRET_PREFIX: &str = "whsec_";
/// The version of the HMAC-SHA256 signature.
pub const V1: &str = "v1";
/// The version of the HMAC-SM3 signature.
pub const V1_SM3: &str = "v1sm3";

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a `whsec_` secret (`None` if it is not one).
fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

/// What is signed: `{id}.{timestamp}.{body}`.
fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// The `v1,…` entry for one secret.
pub fn sign_sha256(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key_of(secret)?).ok()?;
    mac.update(&signed_content(id, timestamp, body));
    Some(format!(
        "{V1},{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `v1sm3,…` entry for one secret.
pub fn sign_sm3(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<sm3::Sm3>::new_from_slice(&key_of(secret)?).ok()?;
    mac.update(&signed_content(id, timestamp, body));
    Some(format!(
        "{V1_SM3},{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: an entry per secret (the current one
/// first), HMAC-SHA256 always, HMAC-SM3 too when `sm3`.
pub fn signature_header(
    secrets: &[&str],
    sm3: bool,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let mut entries = Vec::new();
    for secret in secrets {
        entries.extend(sign_sha256(secret, id, timestamp, body));
        if sm3 {
            entries.extend(sign_sm3(secret, id, timestamp, body));
        }
    }
    entries.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the Standard Webhooks specification and its libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1614265330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn the_signature_matches_the_specifications_example() {
        assert_eq!(
            sign_sha256(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn the_sm3_signature_matches_openssls_hmac_sm3() {
        // python3 -c "import hmac,base64; k=base64.b64decode('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
        // print(base64.b64encode(hmac.new(k, b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}', 'sm3').digest()))"
        assert_eq!(
            sign_sm3(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).as_deref(),
            Some("v1sm3,/HoSFIzweCy/UJPM50++HyVPa/54PFXtLisZ9sIFN1I=")
        );
    }

    #[test]
    fn during_a_rotation_both_secrets_sign_and_sm3_follows_each() {
        let new = new_secret();
        let header = signature_header(
            &[&new, SPEC_SECRET],
            true,
            SPEC_ID,
            SPEC_TIMESTAMP,
            SPEC_BODY,
        );
        let entries: Vec<&str> = header.split(' ').collect();
        assert_eq!(entries.len(), 4, "{header}");
        assert!(entries[0].starts_with("v1,") && entries[1].starts_with("v1sm3,"));
        assert_eq!(
            entries[2],
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_new_secret_is_prefixed_32_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(key_of(&a).map(|k| k.len()), Some(32));
        assert_eq!(key_of("not a secret"), None);
    }
}
