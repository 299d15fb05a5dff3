//! Resource quantities compare by value: the API server stores `0.5` as `500m` and `1024Mi`
//! as `1Gi`, which is not drift.

/// The value of a Kubernetes quantity in base units, when it parses.
pub(crate) fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse().ok()?),
        _ => return None,
    };
    Some(number * factor)
}

/// Equal as quantities (relative tolerance for float rounding).
pub(crate) fn equal(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()) * 4.0,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_are_equal() {
        assert!(equal("0.5", "500m"));
        assert!(equal("1024Mi", "1Gi"));
        assert!(equal("1000m", "1"));
        assert!(equal("1e3", "1k"));
        assert!(equal("128Mi", "128Mi"));
    }

    #[test]
    fn different_values_differ() {
        assert!(!equal("500m", "250m"));
        assert!(!equal("1Gi", "1G"));
    }

    #[test]
    fn unparsable_compares_textually() {
        assert!(equal("lots", "lots"));
        assert!(!equal("lots", "1"));
        assert_eq!(parse("12Xi"), None);
    }
}
