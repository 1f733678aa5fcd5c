//! The Performance and Capacity Monitor under `/rest/api/pcm`, as
//! pypowervm's `monitor`/`pcm` wrappers, hmc-mcp and power-hmc-mcp read
//! it: the preferences (`preferences.rs`), and the metrics — Atom feeds
//! whose entries link to JSON documents (`metrics.rs`, `json.rs`) — made
//! from the HMC's utilization samples (`crate::utilization`).

mod json;
mod metrics;
mod preferences;

use super::{Reply, Rest, error};
use axum::http::{Method, StatusCode};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::model::Partition;

pub const PCM_NS: &str = "http://www.ibm.com/xmlns/systems/power/firmware/pcm/mc/2012_10/";

/// Answers a request under `/rest/api/pcm` (`rel`: the path after it).
pub fn handle(
    rest: &Rest,
    user: &str,
    parts: &axum::http::request::Parts,
    rel: &str,
    body: &[u8],
) -> Reply {
    let (method, query, uri) = (
        &parts.method,
        parts.uri.query().unwrap_or(""),
        parts.uri.path(),
    );
    let segs: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let frames = rest.hmc.view.frames();
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("The requested resource {uri} was not found on this management console."),
        )
    };
    let write = matches!(*method, Method::POST | Method::PUT);
    if !write && *method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            uri,
            "Method Not Allowed",
            &format!("{method} is not supported on {uri} by this management console."),
        );
    }
    let reply = match segs.as_slice() {
        ["preferences"] if write => preferences::change(rest, user, None, &frames, body, uri),
        ["preferences"] => Some(preferences::console(rest, &frames)),
        ["ManagedSystem", id, "preferences"] => {
            let f = by_uuid(&frames, id);
            match f {
                Some(f) if write => preferences::change(rest, user, Some(f), &frames, body, uri),
                Some(f) => Some(preferences::system_feed(rest, f)),
                None => None,
            }
        }
        _ if write => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                uri,
                "Method Not Allowed",
                &format!("{method} is not supported on {uri} by this management console."),
            );
        }
        ["ManagedSystem", id, "RawMetrics", monitor] => {
            by_uuid(&frames, id).and_then(|f| metrics::raw_feed(rest, f, monitor, query, uri))
        }
        ["ManagedSystem", id, "RawMetrics", monitor, doc] => {
            by_uuid(&frames, id).and_then(|f| metrics::raw_doc(rest, f, monitor, doc))
        }
        ["ManagedSystem", id, "ProcessedMetrics"] => {
            by_uuid(&frames, id).and_then(|f| metrics::processed_feed(rest, f, None, query, uri))
        }
        ["LogicalPartition", lid, "ProcessedMetrics"]
        | [
            "ManagedSystem",
            _,
            "LogicalPartition",
            lid,
            "ProcessedMetrics",
        ] => lpar_by_uuid(&frames, lid)
            .and_then(|(f, p)| metrics::processed_feed(rest, f, Some(p), query, uri)),
        ["ProcessedMetrics", doc] => metrics::processed_doc(rest, &frames, doc),
        _ => None,
    };
    reply.unwrap_or_else(not_found)
}

fn by_uuid<'a>(frames: &'a [std::sync::Arc<FrameView>], id: &str) -> Option<&'a FrameView> {
    frames
        .iter()
        .find(|f| crate::ids::frame(&f.name).eq_ignore_ascii_case(id))
        .map(|f| &**f)
}

fn lpar_by_uuid<'a>(
    frames: &'a [std::sync::Arc<FrameView>],
    id: &str,
) -> Option<(&'a FrameView, &'a Partition)> {
    frames.iter().find_map(|f| {
        f.partitions
            .iter()
            .find(|p| crate::ids::partition(p).eq_ignore_ascii_case(id))
            .map(|p| (&**f, p))
    })
}

/// 20150430T035300+0000: the stamp in the documents' names.
pub fn stamp(t: i64) -> String {
    let c = pvmlab_common::clock::Civil::at(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// 2015-05-27T08:17:45+0000: a sample's time inside a document.
pub fn iso(t: i64) -> String {
    let c = pvmlab_common::clock::Civil::at(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// 2015-04-30T03:53:00.000Z: an Atom entry's `updated`/`published`.
pub fn atom(t: i64) -> String {
    let c = pvmlab_common::clock::Civil::at(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// A time as clients give it (`StartTS=2026-08-07T12:00:00Z`, with or
/// without fractions, `Z`, `+hh:mm` or `+hhmm`) or as the documents'
/// names hold it (`20150430T035300+0000`), in seconds since 1970.
pub fn parse_ts(s: &str) -> Option<i64> {
    let t = s.find('T')?;
    let (date, time) = (&s[..t], &s[t + 1..]);
    let zi = time.find(['Z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(zi);
    let digits = |x: &str| -> String { x.chars().filter(char::is_ascii_digit).collect() };
    let d = digits(date);
    let mut c = digits(clock.split('.').next().unwrap_or(""));
    if c.len() == 4 {
        c.push_str("00");
    }
    if d.len() != 8 || c.len() != 6 {
        return None;
    }
    let n = |x: &str| x.parse::<i64>().ok();
    let (y, mo, day) = (n(&d[..4])?, n(&d[4..6])?, n(&d[6..])?);
    let (h, mi, sec) = (n(&c[..2])?, n(&c[2..4])?, n(&c[4..])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset = match zone {
        "" | "Z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let zd = digits(z);
            if zd.len() != 4 {
                return None;
            }
            sign * (n(&zd[..2])? * 3600 + n(&zd[2..])? * 60)
        }
    };
    Some(crate::utilization::window::secs_of(y, mo, day, h, mi) + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utilization::window::secs_of;

    #[test]
    fn times_read_in_every_form_clients_send() {
        let t = secs_of(2026, 8, 7, 12, 0);
        assert_eq!(parse_ts("2026-08-07T12:00:00Z"), Some(t));
        assert_eq!(parse_ts("2026-08-07T12:00:00.000Z"), Some(t));
        assert_eq!(parse_ts("2026-08-07T14:00:00+02:00"), Some(t));
        assert_eq!(parse_ts("2026-08-07T07:00:00-0500"), Some(t));
        assert_eq!(parse_ts("20260807T120000+0000"), Some(t));
        assert_eq!(parse_ts("2026-08-07T12:00"), Some(t));
        assert_eq!(parse_ts(&stamp(t + 5)), Some(t + 5));
        assert_eq!(parse_ts("yesterday"), None);
        assert_eq!(parse_ts("2026-13-07T12:00:00Z"), None);
        assert_eq!(iso(t), "2026-08-07T12:00:00+0000");
        assert_eq!(atom(t), "2026-08-07T12:00:00.000Z");
    }
}
