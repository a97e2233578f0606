//! RFC 3339 timestamps as Step Functions accepts them: an upper-case `T`
//! separator and an explicit zone (`Z` or `±hh:mm`).

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' {
        return None;
    }
    if !(s.ends_with('Z') || matches!(b[b.len() - 6], b'+' | b'-')) {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

/// Milliseconds since the epoch as `2024-01-01T00:00:00.000Z`.
pub fn format_millis(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_forms() {
        assert!(parse_timestamp("2016-03-14T01:59:00Z").is_some());
        assert!(parse_timestamp("2016-03-14T01:59:00.123+02:00").is_some());
        assert!(parse_timestamp("2016-03-14 01:59:00Z").is_none());
        assert!(parse_timestamp("2016-03-14t01:59:00Z").is_none());
        assert!(parse_timestamp("2016-03-14T01:59:00").is_none());
        assert!(parse_timestamp("2016-13-14T01:59:00Z").is_none());
        assert!(parse_timestamp("2016-12-05T25:29:29Z").is_none());
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
