//! The PCM's metrics feeds and the documents they link to: the raw
//! long-term (and short-term) monitor, one `phyp` and one `lpar` document
//! per sample (pypowervm's `ltm_feed.txt`), and the processed metrics of a
//! frame or a partition, one document for the samples asked for
//! (`StartTS`, `EndTS`, `NoOfSamples`). A monitor that is off, or a window
//! without samples, answers 204 No Content, as an empty feed does.

use super::super::{Reply, Rest, error};
use super::{atom, json, parse_ts, stamp};
use crate::rest::xml::{ATOM_NS, GENERATOR, escape};
use crate::utilization::sample::FrameSample;
use axum::http::StatusCode;
use pvmlab_common::model::FrameExt as _;
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::model::Partition;
use std::sync::Arc;

fn no_content() -> Reply {
    Reply {
        status: StatusCode::NO_CONTENT,
        media: String::new(),
        body: String::new(),
        etag: None,
    }
}

fn json_reply(v: &serde_json::Value) -> Reply {
    Reply::ok("application/json".into(), v.to_string())
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's `name`, decoded; a `+` a client left unencoded in a time
/// zone reads back as `+`, not as a blank.
fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| decode(v).replace(' ', "+"))
}

/// The samples a metrics request asks for, newest first, or the error
/// that says which parameter was wrong.
fn window(
    rest: &Rest,
    f: &FrameView,
    query: &str,
    uri: &str,
) -> Result<Vec<Arc<FrameSample>>, Reply> {
    let time = |name: &str| -> Result<Option<i64>, Reply> {
        match param(query, name) {
            None => Ok(None),
            Some(v) => parse_ts(&v).map(Some).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    uri,
                    "Bad Request",
                    &format!("The {name} parameter is not a valid time: {v}. Give it as 2015-04-30T03:53:00Z."),
                )
            }),
        }
    };
    let start = time("StartTS")?.unwrap_or(i64::MIN);
    let end = time("EndTS")?.unwrap_or(i64::MAX);
    let mut samples = rest.hmc.util.pcm_samples(&f.name, start, end);
    if let Some(n) = param(query, "NoOfSamples") {
        let Some(n) = n.parse::<usize>().ok().filter(|n| *n > 0) else {
            return Err(error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                &format!("The NoOfSamples parameter is not valid: {n}. Give a number above 0."),
            ));
        };
        samples.truncate(n);
    }
    Ok(samples)
}

fn entry(id_key: &str, title: &str, href: &str, media: &str, t: i64, category: &str) -> String {
    format!(
        "<entry><id>{}</id><updated>{u}</updated><title type=\"text\">{title}</title><published>{u}</published>\
<link type=\"{media}\" href=\"{}\"/><author><name>{GENERATOR}</name></author>{category}</entry>",
        crate::ids::uuid("PcmMetrics", id_key),
        escape(href),
        u = atom(t),
        title = escape(title),
    )
}

fn feed(
    id: &str,
    title: &str,
    subtitle: &str,
    self_href: &str,
    updated: i64,
    entries: &str,
) -> Reply {
    let body = format!(
        "<feed xmlns=\"{ATOM_NS}\" xmlns:ns2=\"http://a9.com/-/spec/opensearch/1.1/\" xmlns:ns3=\"http://www.w3.org/1999/xhtml\">\
<id>{id}</id><updated>{}</updated><title type=\"text\">{title}</title><subtitle type=\"text\">{subtitle}</subtitle>\
<link rel=\"self\" href=\"{}\"/><generator uri=\"{GENERATOR}\" version=\"1\"/>{entries}</feed>",
        atom(updated),
        escape(self_href),
    );
    Reply::ok("application/atom+xml".into(), body)
}

/// `RawMetrics/LongTermMonitor` or `ShortTermMonitor` of a frame.
pub fn raw_feed(
    rest: &Rest,
    f: &FrameView,
    monitor: &str,
    query: &str,
    uri: &str,
) -> Option<Reply> {
    let (prefix, title) = match monitor {
        "LongTermMonitor" => ("LTM", "LongTermMetrics"),
        "ShortTermMonitor" => ("STM", "ShortTermMetrics"),
        _ => return None,
    };
    let p = rest.hmc.util.pcm(&f.name);
    let on = if prefix == "LTM" {
        p.ltm || p.compute_ltm || p.aggregation
    } else {
        p.stm
    };
    if !on {
        return Some(no_content());
    }
    let samples = match window(rest, f, query, uri) {
        Ok(s) => s,
        Err(e) => return Some(e),
    };
    let Some(newest) = samples.first() else {
        return Some(no_content());
    };
    let uuid = crate::ids::frame(&f.name);
    let mtms = f.frame.as_ref().map(|fr| fr.mtms()).unwrap_or_default();
    let base = format!(
        "{}/rest/api/pcm/ManagedSystem/{uuid}/RawMetrics/{monitor}",
        rest.base
    );
    let mut entries = String::new();
    for s in &samples {
        for cat in ["phyp", "lpar"] {
            let name = format!("{prefix}_{mtms}_{cat}_{}.json", stamp(s.time));
            entries.push_str(&entry(
                &format!("{uuid}/{name}"),
                &name,
                &format!("{base}/{name}"),
                "application/vnd.ibm.powervm.pcm.json",
                s.time,
                &format!("<category term=\"{cat}\"/>"),
            ));
        }
    }
    Some(feed(
        &uuid,
        title,
        &format!("ManagedSystem {uuid}"),
        &base,
        newest.time,
        &entries,
    ))
}

/// One raw document, by the name its feed entry gave it.
pub fn raw_doc(rest: &Rest, f: &FrameView, monitor: &str, doc: &str) -> Option<Reply> {
    let prefix = match monitor {
        "LongTermMonitor" => "LTM_",
        "ShortTermMonitor" => "STM_",
        _ => return None,
    };
    let doc = decode(doc);
    let name = doc.strip_prefix(prefix)?.strip_suffix(".json")?;
    let (rest_of, ts) = name.rsplit_once('_')?;
    let (_, cat) = rest_of.rsplit_once('_')?;
    let t = parse_ts(ts)?;
    let s = rest
        .hmc
        .util
        .pcm_samples(&f.name, t, t)
        .into_iter()
        .next()?;
    match cat {
        "phyp" => Some(json_reply(&json::phyp(f, &s))),
        "lpar" => Some(json_reply(&json::lpar(&s))),
        _ => None,
    }
}

/// `ProcessedMetrics` of a frame, or of one of its partitions: one
/// document covering the samples asked for.
pub fn processed_feed(
    rest: &Rest,
    f: &FrameView,
    lpar: Option<&Partition>,
    query: &str,
    uri: &str,
) -> Option<Reply> {
    if !rest.hmc.util.pcm(&f.name).collecting() {
        return Some(no_content());
    }
    let samples = match window(rest, f, query, uri) {
        Ok(s) => s,
        Err(e) => return Some(e),
    };
    let (Some(newest), Some(oldest)) = (samples.first(), samples.last()) else {
        return Some(no_content());
    };
    let (kind, uuid, self_href) = match lpar {
        Some(p) => {
            let u = crate::ids::partition(p);
            (
                "LogicalPartition",
                u.clone(),
                format!(
                    "{}/rest/api/pcm/LogicalPartition/{u}/ProcessedMetrics",
                    rest.base
                ),
            )
        }
        None => {
            let u = crate::ids::frame(&f.name);
            (
                "ManagedSystem",
                u.clone(),
                format!(
                    "{}/rest/api/pcm/ManagedSystem/{u}/ProcessedMetrics",
                    rest.base
                ),
            )
        }
    };
    let freq = crate::utilization::PCM_INTERVAL;
    let name = format!(
        "{kind}_{uuid}_{}_{}_{freq}.json",
        stamp(oldest.time),
        stamp(newest.time)
    );
    let e = entry(
        &name,
        &name,
        &format!("{}/rest/api/pcm/ProcessedMetrics/{name}", rest.base),
        "application/json",
        newest.time,
        &format!("<category term=\"{kind}\" frequency=\"{freq}\"/>"),
    );
    Some(feed(
        &uuid,
        "ProcessedMetrics",
        &format!("{kind} {uuid}"),
        &self_href,
        newest.time,
        &e,
    ))
}

/// `ProcessedMetrics/{Kind}_{uuid}_{start}_{end}_{frequency}.json`: the
/// document, while its samples are still kept (404 after, as a real
/// HMC's expire).
pub fn processed_doc(
    rest: &Rest,
    frames: &[std::sync::Arc<FrameView>],
    doc: &str,
) -> Option<Reply> {
    let doc = decode(doc);
    let name = doc.strip_suffix(".json")?;
    let mut parts = name.split('_');
    let (kind, uuid, start, end) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let (start, end) = (parse_ts(start)?, parse_ts(end)?);
    let (f, lpar) = match kind {
        "ManagedSystem" => (super::by_uuid(frames, uuid)?, None),
        "LogicalPartition" => {
            let (f, p) = super::lpar_by_uuid(frames, uuid)?;
            (f, Some(p.name.clone()))
        }
        _ => return None,
    };
    let samples = rest.hmc.util.pcm_samples(&f.name, start, end);
    if samples.is_empty() {
        return None;
    }
    let refs: Vec<&FrameSample> = samples.iter().map(|s| s.as_ref()).collect();
    Some(json_reply(&match lpar {
        Some(l) => json::processed_lpar(f, &l, &refs),
        None => json::processed_system(f, &refs),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_decode() {
        let q = "StartTS=2026-08-07T12%3A00%3A00Z&NoOfSamples=1&EndTS=2026-08-07T14:00:00+02:00";
        assert_eq!(param(q, "StartTS").as_deref(), Some("2026-08-07T12:00:00Z"));
        assert_eq!(param(q, "nOofsamples").as_deref(), Some("1"));
        assert_eq!(
            param(q, "EndTS").as_deref(),
            Some("2026-08-07T14:00:00+02:00")
        );
        assert_eq!(param(q, "Other"), None);
        assert_eq!(decode("a%2Bb%"), "a+b%");
    }
}
