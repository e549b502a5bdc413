//! `openapi/openapi.json` is generated from the code; this fails when they differ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn committed_openapi_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
    let generated = serde_json::to_string_pretty(&parley_api::openapi::document()).unwrap();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is out of date; regenerate it with:\n    \
         cargo run -q -p parley-server -- openapi > openapi/openapi.json"
    );
}
