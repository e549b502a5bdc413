//! Opaque cursors for paged lists (`?limit=&cursor=` → `next_cursor`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::error::{ApiError, ApiResult};

/// `?limit=&cursor=` of every paged list but message history.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 100)]
    #[validate(length(max = 100))]
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50)
    }

    pub fn after_id(&self) -> ApiResult<Option<i64>> {
        self.cursor.as_deref().map(decode_id).transpose()
    }
}

pub fn encode_id(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("i{id}"))
}

pub fn decode_id(cursor: &str) -> ApiResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix('i').and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::BadRequest("malformed cursor".into()))
}

/// Trims a `limit + 1` fetch to a page and its next cursor.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    id_of: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if more {
        rows.last().map(|r| encode_id(id_of(r)))
    } else {
        None
    };
    (rows, next)
}
