//! Bearer tokens and refresh tokens as presented by clients: verification answers a
//! claim set or an error, never panics; a forged token never verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_auth::JwtKeys;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    thread_local! {
        static KEYS: JwtKeys = JwtKeys::new(b"a fuzzing secret that is long enough to be accepted");
    }
    KEYS.with(|keys| {
        // Random text cannot carry this secret's signature.
        assert!(keys.verify(text).is_err(), "a fuzzed token verified: {text:?}");
    });
    let _ = parley_auth::token::hash(text);
});
