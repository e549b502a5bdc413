//! Answers for requests no route takes: 405 with `Allow` when the path exists with
//! other methods, else 404. The route table is the OpenAPI document's, so the two agree.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{HttpRequest, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Every documented path with its methods.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<Method> = [
                    (item.get.is_some(), Method::GET),
                    (item.put.is_some(), Method::PUT),
                    (item.post.is_some(), Method::POST),
                    (item.delete.is_some(), Method::DELETE),
                    (item.patch.is_some(), Method::PATCH),
                ]
                .into_iter()
                .filter_map(|(present, method)| present.then_some(method))
                .collect();
                if methods.contains(&Method::GET) {
                    methods.push(Method::HEAD);
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods `path` answers to, if any route has that shape. A literal route
    /// (`/api/rooms/direct`) wins over a templated one (`/api/rooms/{room_id}`).
    pub fn allowed(&self, path: &str) -> Option<&[Method]> {
        let mut matching = self.routes.iter().filter(|(def, _)| def.is_match(path));
        let first = matching.next()?;
        let literal = std::iter::once(first)
            .chain(matching)
            .find(|(def, _)| !def.pattern().unwrap_or_default().contains('{'));
        Some(literal.unwrap_or(first).1.as_slice())
    }
}

pub async fn not_matched(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
    state: web::Data<AppState>,
) -> Result<actix_web::HttpResponse, ApiError> {
    if let Some(dir) = &state.settings.static_dir
        && let Some(response) = crate::spa::serve(&req, dir)
    {
        return Ok(response);
    }
    Err(match routes.allowed(req.path()) {
        Some(methods) if !methods.contains(req.method()) => {
            ApiError::MethodNotAllowed(methods.to_vec())
        }
        _ => ApiError::NotFound(format!("no resource at {}", req.path())),
    })
}
