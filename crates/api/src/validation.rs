//! Request validation with `validator`, reported as one `FieldErrors` naming every
//! failing field. The rules themselves live in `parley_domain::validate`.

use parley_domain::FieldErrors;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::ApiError;

/// Validates `value`; `extra` may add checks `validator` cannot express.
pub fn validate<T: Validate>(
    value: &T,
    extra: impl FnOnce(&mut FieldErrors),
) -> Result<(), ApiError> {
    let mut fields = FieldErrors::new();
    if let Err(errors) = value.validate() {
        collect(&errors, "", &mut fields);
    }
    extra(&mut fields);
    fields.into_result().map_err(ApiError::from)
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    out.add(&name, message(error));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{name}[{index}]"), out);
                }
            }
        }
    }
}

fn message(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |key: &str| error.params.get(key).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max} characters"),
            (None, Some(max)) => format!("must be at most {max} characters"),
            (Some(min), None) => format!("must be at least {min} characters"),
            _ => "has the wrong length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be a valid email address".to_owned(),
        "url" => "must be a valid URL".to_owned(),
        other => other.replace('_', " "),
    }
}

/// Adapts a domain rule (`Err(message)`) to `validator`'s custom-function shape.
pub fn rule(result: Result<(), String>) -> Result<(), ValidationError> {
    result.map_err(|message| {
        let mut error = ValidationError::new("invalid");
        error.message = Some(message.into());
        error
    })
}
