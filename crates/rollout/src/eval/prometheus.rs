//! Prometheus instant queries (`/api/v1/query`): the query with its placeholders filled in,
//! the response parsed, the value judged against `min`/`max`. Empty results, NaN and
//! infinities are inconclusive, never errors: an empty result usually means "no traffic
//! yet", and turning it into an abort is what Argo Rollouts users complain about.

use serde_json::Value;

use super::Evaluation;

/// Values substituted into `{{revision}}`, `{{namespace}}` and `{{environment}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryVars<'a> {
    pub revision: &'a str,
    pub namespace: &'a str,
    pub environment: &'a str,
}

/// The query with placeholders replaced. Values are escaped for PromQL string literals
/// (they are SHAs and DNS labels, but a query must never be injectable).
pub fn substitute(query: &str, vars: &QueryVars<'_>) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    query
        .replace("{{revision}}", &esc(vars.revision))
        .replace("{{namespace}}", &esc(vars.namespace))
        .replace("{{environment}}", &esc(vars.environment))
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ResponseError {
    /// Fixed reasons only: the answer itself is never quoted (a check may be aimed anywhere).
    #[error("not a Prometheus API response: {0}")]
    Malformed(&'static str),
    #[error("Prometheus refused the query ({0})")]
    Api(ErrorType),
    #[error("the result type is not supported (use an instant vector or scalar query)")]
    UnsupportedType,
}

/// Prometheus' `errorType` values (anything else is `Other`: not quoted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    BadData,
    Execution,
    Timeout,
    Canceled,
    Internal,
    Unavailable,
    NotFound,
    Other,
}

impl ErrorType {
    fn of(s: &str) -> ErrorType {
        match s {
            "bad_data" => ErrorType::BadData,
            "execution" => ErrorType::Execution,
            "timeout" => ErrorType::Timeout,
            "canceled" => ErrorType::Canceled,
            "internal" => ErrorType::Internal,
            "unavailable" => ErrorType::Unavailable,
            "not_found" => ErrorType::NotFound,
            _ => ErrorType::Other,
        }
    }
}

impl std::fmt::Display for ErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Timeout => "timeout",
            ErrorType::Canceled => "canceled",
            ErrorType::Internal => "internal",
            ErrorType::Unavailable => "unavailable",
            ErrorType::NotFound => "not_found",
            ErrorType::Other => "an unknown error type",
        })
    }
}

/// The sample values of an instant-query response (vector: one per series; scalar: one).
pub fn parse_response(body: &str) -> Result<Vec<f64>, ResponseError> {
    let v: Value = serde_json::from_str(body).map_err(|_| ResponseError::Malformed("not JSON"))?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    if field("status") != "success" {
        return Err(ResponseError::Api(ErrorType::of(field("errorType"))));
    }
    let data = v.get("data").ok_or(ResponseError::Malformed("no data"))?;
    let kind = data
        .get("resultType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let result = data.get("result").unwrap_or(&Value::Null);
    match kind {
        "vector" => result
            .as_array()
            .ok_or(ResponseError::Malformed("vector result is not a list"))?
            .iter()
            .map(|s| sample(s.get("value").unwrap_or(&Value::Null)))
            .collect(),
        "scalar" => Ok(vec![sample(result)?]),
        _ => Err(ResponseError::UnsupportedType),
    }
}

/// `[<unix time>, "<value>"]`: Prometheus sends values as strings (`"NaN"`, `"+Inf"` too).
fn sample(pair: &Value) -> Result<f64, ResponseError> {
    let s = pair
        .get(1)
        .and_then(Value::as_str)
        .ok_or(ResponseError::Malformed("a sample has no value"))?;
    s.parse::<f64>()
        .map_err(|_| ResponseError::Malformed("a sample value is not a number"))
}

/// Judges the samples of one query against the bounds (inclusive).
pub fn evaluate(values: &[f64], min: Option<f64>, max: Option<f64>) -> Evaluation {
    let value = match values {
        [] => return Evaluation::inconclusive("the query returned no samples"),
        [v] => *v,
        many => {
            return Evaluation::inconclusive(format!(
                "the query returned {} samples; it must return one (aggregate it, e.g. sum(...))",
                many.len()
            ));
        }
    };
    if !value.is_finite() {
        return Evaluation::inconclusive(format!("the query returned {value}"));
    }
    let bounds = match (min, max) {
        (Some(lo), Some(hi)) => format!("[{lo}, {hi}]"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, Some(hi)) => format!("<= {hi}"),
        (None, None) => "unbounded".into(),
    };
    if min.is_some_and(|lo| value < lo) || max.is_some_and(|hi| value > hi) {
        Evaluation::fail(format!("value {value} is outside {bounds}"))
    } else {
        Evaluation::pass(format!("value {value} is within {bounds}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Outcome;

    fn vector(values: &[&str]) -> String {
        let samples: Vec<String> = values
            .iter()
            .map(|v| format!(r#"{{"metric":{{"code":"500"}},"value":[1700000000.123,"{v}"]}}"#))
            .collect();
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
            samples.join(",")
        )
    }

    #[test]
    fn parses_a_vector() {
        assert_eq!(parse_response(&vector(&["0.25"])).unwrap(), vec![0.25]);
    }

    #[test]
    fn parses_an_empty_vector() {
        assert_eq!(parse_response(&vector(&[])).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn parses_a_scalar() {
        let body =
            r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}}"#;
        assert_eq!(parse_response(body).unwrap(), vec![3.0]);
    }

    #[test]
    fn parses_nan_and_infinities_as_prometheus_writes_them() {
        let v = parse_response(&vector(&["NaN", "+Inf", "-Inf"])).unwrap();
        assert!(v[0].is_nan());
        assert_eq!(v[1], f64::INFINITY);
        assert_eq!(v[2], f64::NEG_INFINITY);
    }

    #[test]
    fn api_errors_carry_their_type_never_the_answer() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        let e = parse_response(body).unwrap_err();
        assert_eq!(e, ResponseError::Api(ErrorType::BadData));
        assert_eq!(e.to_string(), "Prometheus refused the query (bad_data)");
        let odd = r#"{"status":"error","errorType":"AKIA-secret","error":"x"}"#;
        assert!(
            !parse_response(odd)
                .unwrap_err()
                .to_string()
                .contains("AKIA")
        );
    }

    #[test]
    fn matrix_is_unsupported() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(matches!(
            parse_response(body),
            Err(ResponseError::UnsupportedType)
        ));
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            parse_response("<html>"),
            Err(ResponseError::Malformed(_))
        ));
        let bad =
            r#"{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"x"]}]}}"#;
        assert!(matches!(
            parse_response(bad),
            Err(ResponseError::Malformed(_))
        ));
    }

    #[test]
    fn within_bounds_passes_and_bounds_are_inclusive() {
        assert_eq!(evaluate(&[0.05], None, Some(0.05)).outcome, Outcome::Pass);
        assert_eq!(evaluate(&[1.0], Some(1.0), None).outcome, Outcome::Pass);
        assert_eq!(
            evaluate(&[0.5], Some(0.0), Some(1.0)).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn over_max_or_under_min_fails() {
        let e = evaluate(&[0.2], None, Some(0.05));
        assert_eq!(e.outcome, Outcome::Fail);
        assert!(e.message.contains("0.2"));
        assert_eq!(evaluate(&[0.9], Some(0.99), None).outcome, Outcome::Fail);
    }

    #[test]
    fn empty_nan_and_inf_are_inconclusive() {
        assert_eq!(
            evaluate(&[], None, Some(1.0)).outcome,
            Outcome::Inconclusive
        );
        assert_eq!(
            evaluate(&[f64::NAN], None, Some(1.0)).outcome,
            Outcome::Inconclusive
        );
        assert_eq!(
            evaluate(&[f64::INFINITY], None, Some(1.0)).outcome,
            Outcome::Inconclusive
        );
    }

    #[test]
    fn several_samples_are_inconclusive() {
        let e = evaluate(&[0.0, 0.0], None, Some(1.0));
        assert_eq!(e.outcome, Outcome::Inconclusive);
        assert!(e.message.contains("2 samples"));
    }

    #[test]
    fn placeholders_are_substituted_and_escaped() {
        let q = substitute(
            r#"sum(rate(x{rev="{{revision}}",ns="{{namespace}}",env="{{environment}}"}[1m]))"#,
            &QueryVars {
                revision: "abc",
                namespace: "team-a",
                environment: r#"pro"d"#,
            },
        );
        assert_eq!(q, r#"sum(rate(x{rev="abc",ns="team-a",env="pro\"d"}[1m]))"#);
    }
}
