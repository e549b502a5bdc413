//! Query strings and cursors, as any client may send them: parsing and validation
//! must answer Ok or a client error, never panic.
#![no_main]

use actix_web::web::Query;
use libfuzzer_sys::fuzz_target;
use parley_api::paging::{PageQuery, decode_id, page};
use parley_api::routes::messages::HistoryQuery;
use parley_api::validation::validate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = decode_id(text);
    if let Ok(query) = Query::<HistoryQuery>::from_query(text) {
        let _ = validate(&*query, |_| {});
    }
    if let Ok(query) = Query::<PageQuery>::from_query(text) {
        if validate(&*query, |_| {}).is_ok() {
            let limit = query.limit();
            if let Ok(after) = query.after_id() {
                // The page arithmetic over any cursor the client could decode.
                let rows: Vec<i64> = (0..3).map(|i| after.unwrap_or(0).wrapping_add(i)).collect();
                let _ = page(rows, limit, |r| *r);
            }
        }
    }
});
