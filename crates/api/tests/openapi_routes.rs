//! The OpenAPI document and the server agree: every documented operation is routed (a
//! call never falls through to "no resource" or 405), and what the server answers
//! outside the document is only the socket, the spec itself and Swagger UI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use common::TestApp;
use parley_store::testing::TestDb;

#[actix_web::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::start_on(TestDb::sqlite(), |_| {}).await;
    let doc = serde_json::to_value(parley_api::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 50, "only {} paths documented", paths.len());
    let mut operations = 0;
    for (path, item) in paths {
        // Path parameters become plausible values.
        let concrete = path
            .split('/')
            .map(|segment| match segment {
                "{code}" | "{emoji}" => "abc",
                s if s.starts_with('{') => "1",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            operations += 1;
            assert!(
                operation["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            assert!(operation["tags"].is_array(), "{method} {path} has no tag");
            let res = app
                .call(method.clone(), &concrete, None, Some(serde_json::json!({})))
                .await;
            let detail = res.body["detail"].as_str().unwrap_or_default();
            assert!(
                !detail.starts_with("no resource at"),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(
                res.status, 405,
                "{method} {path} is documented but answers 405"
            );
            assert!(res.status < 500, "{method} {path} answered {}", res.status);
        }
    }
    assert!(operations >= 70, "only {operations} operations");
    // Undocumented but served: the socket, the document, Swagger UI.
    assert_eq!(app.get("/api/openapi.json", None).await.status, 200);
    assert_eq!(app.get("/docs/", None).await.status, 200);
    let spec = app.get("/api/openapi.json", None).await.body;
    assert_eq!(
        spec["paths"], doc["paths"],
        "the served document is the generated one"
    );
}

#[actix_web::test]
async fn every_operation_documents_its_errors_as_problems() {
    let doc = serde_json::to_value(parley_api::openapi::document()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let public = operation["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            if !public {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = &response["content"];
                    if path == "/api/health" {
                        continue;
                    }
                    assert!(
                        content.get("application/problem+json").is_some(),
                        "{method} {path} {status} is not a problem document: {content}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_schema_has_an_example() {
    let doc = serde_json::to_value(parley_api::openapi::document()).unwrap();
    let missing: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, schema)| schema.get("example").is_none() && schema.get("examples").is_none())
        .map(|(name, _)| name)
        .collect();
    assert!(
        missing.is_empty(),
        "schemas without an example: {missing:?}"
    );
}
