//! Socket frames as a client may send them: decoding answers a frame or an error,
//! never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parley_api::gateway::conn::decode_frame(text);
});
