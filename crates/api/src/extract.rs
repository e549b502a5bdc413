//! How the framework's own extraction failures become problem documents.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::error::ApiError;

/// Body limit and error mapping for every `web::Json` body.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| json_error(err).into())
}

pub fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => {
            ApiError::PayloadTooLarge(format!("the JSON body exceeds {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("the body must be application/json".into())
        }
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("invalid JSON body: {e}")),
        other => ApiError::BadRequest(format!("could not read the body: {other}")),
    }
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, req: &HttpRequest| {
        // `PATCH /api/rooms/direct` reached `/api/rooms/{room_id}`: the literal path exists
        // with other methods. Otherwise a path that cannot name anything names nothing.
        let routes = req.app_data::<web::Data<crate::fallback::RouteTable>>();
        if let Some(methods) = routes.and_then(|r| r.allowed(req.path()))
            && !methods.contains(req.method())
        {
            return ApiError::MethodNotAllowed(methods.to_vec()).into();
        }
        ApiError::NotFound(format!("no such resource: {err}")).into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        ApiError::BadRequest(format!("invalid query string: {err}")).into()
    })
}

/// A JSON request body that must be an object. `web::Json` alone lets serde build a
/// struct from an array (`[null, null]`), which no client means.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        // Read as raw JSON first (content type, size and syntax checked by actix), then
        // into `T` straight from the text: going through a `Value` would silently keep
        // the last of duplicate keys, and `T` alone would accept an array for a struct.
        let raw = web::Json::<Box<serde_json::value::RawValue>>::from_request(req, payload);
        Box::pin(async move {
            let raw = raw.await?.into_inner();
            if !raw.get().trim_start().starts_with('{') {
                return Err(ApiError::BadRequest("the body must be a JSON object".into()).into());
            }
            serde_json::from_str(raw.get())
                .map(Json)
                .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")).into())
        })
    }
}
