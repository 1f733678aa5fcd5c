//! Toxiproxy's model over the lab's: which links are proxies, and how a
//! fault held by a proxy's listening node reads as a toxic in Toxiproxy's
//! JSON, and back. All pure: the routes ask the nodes and call these.

use super::{DISABLED, R, bad};
use pvmlab_common::fault::{Direction, Fault, KINDS, Kind, Settings};
use pvmlab_common::topology::{Topology, vios_node_name};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub(super) struct Proxy {
    pub(super) name: String,
    pub(super) listen: String,
    pub(super) upstream: String,
}

/// The lab's own links as proxies: each HMC with its frames and their
/// VIOS, each frame with its VIOS, the MSPs of different frames, the HMCs
/// between them.
pub(super) fn lab_links(t: &Topology) -> Vec<Proxy> {
    let ep = |n: &str| t.node(n).map(|n| n.endpoint()).unwrap_or_default();
    let link = |a: &str, b: &str| Proxy {
        name: format!("{a}--{b}"),
        listen: ep(a),
        upstream: ep(b),
    };
    let mut out = Vec::new();
    for f in &t.frame {
        let frame = f.name.get_ref();
        let vioses: Vec<String> = f
            .vios
            .iter()
            .map(|v| vios_node_name(frame, v.name.get_ref()))
            .collect();
        for h in f.managed_by.get_ref() {
            out.push(link(h, frame));
            out.extend(vioses.iter().map(|v| link(h, v)));
        }
        out.extend(vioses.iter().map(|v| link(frame, v)));
    }
    let msps: Vec<(String, String)> = t
        .frame
        .iter()
        .flat_map(|f| {
            f.vios.iter().filter(|v| v.msp).map(|v| {
                (
                    f.name.get_ref().clone(),
                    vios_node_name(f.name.get_ref(), v.name.get_ref()),
                )
            })
        })
        .collect();
    for (i, (fa, a)) in msps.iter().enumerate() {
        for (fb, b) in &msps[i + 1..] {
            if fa != fb {
                out.push(link(a, b));
            }
        }
    }
    for (i, a) in t.hmc.iter().enumerate() {
        for b in &t.hmc[i + 1..] {
            out.push(link(a.name.get_ref(), b.name.get_ref()));
        }
    }
    out
}

/// A proxy's own faults among its listening node's, by toxic name.
pub(super) fn of_proxy(p: &Proxy, faults: Vec<Fault>) -> Vec<(String, Fault)> {
    let prefix = format!("{}.", p.name);
    faults
        .into_iter()
        .filter_map(|f| Some((f.name.strip_prefix(&prefix)?.to_string(), f)))
        .collect()
}

/// A proxy as Toxiproxy shows it.
pub(super) fn json_of(p: &Proxy, faults: &[(String, Fault)]) -> Value {
    let enabled = !faults.iter().any(|(t, _)| t == DISABLED);
    let toxics: Vec<Value> = faults
        .iter()
        .filter(|(t, _)| t != DISABLED)
        .map(|(t, f)| toxic_json(t, f))
        .collect();
    json!({
        "name": p.name, "listen": p.listen, "upstream": p.upstream,
        "enabled": enabled, "toxics": toxics,
    })
}

/// The cut a disabled proxy is.
pub(super) fn disabled(p: &Proxy, peer: &str) -> Fault {
    Fault {
        name: format!("{}.{DISABLED}", p.name),
        peer: peer.to_string(),
        direction: Direction::Both,
        kind: Kind::Cut(pvmlab_common::fault::Cut),
    }
}

/// A toxic's attributes as Toxiproxy names them, by kind.
fn attribute_names(kind: &str) -> &'static [&'static str] {
    match kind {
        "latency" => &["latency", "jitter"],
        "bandwidth" => &["rate"],
        "timeout" | "reset_peer" => &["timeout"],
        "slow_close" => &["delay"],
        "limit_data" => &["bytes"],
        "slicer" => &["average_size", "size_variation", "delay"],
        _ => &[],
    }
}

pub(super) fn toxic_json(name: &str, f: &Fault) -> Value {
    let ms = |d: std::time::Duration| d.as_millis() as u64;
    let attributes = match &f.kind {
        Kind::Latency(l) => json!({"latency": ms(l.latency), "jitter": ms(l.jitter)}),
        // Toxiproxy's rate is in KB/s.
        Kind::Bandwidth(b) => json!({"rate": b.rate / 1000}),
        Kind::Timeout(t) => json!({"timeout": ms(t.timeout)}),
        Kind::ResetPeer(r) => json!({"timeout": ms(r.timeout)}),
        Kind::SlowClose(s) => json!({"delay": ms(s.delay)}),
        Kind::LimitData(l) => json!({"bytes": l.bytes}),
        Kind::Slicer(s) => json!({
            "average_size": s.average_size,
            "size_variation": s.size_variation,
            "delay": s.delay.as_micros() as u64,
        }),
        Kind::Cut(_) => json!({}),
    };
    json!({
        "name": name,
        "type": f.kind.name(),
        "stream": if f.direction == Direction::Up { "upstream" } else { "downstream" },
        "toxicity": 1.0,
        "attributes": attributes,
    })
}

/// A toxic's JSON as Toxiproxy takes it (over `old`'s, for an update), into
/// a fault held by the proxy's listening node with `peer` at the other end.
pub(super) fn toxic_fault(
    p: &Proxy,
    peer: &str,
    body: &Value,
    old: Option<&Value>,
) -> R<(String, Fault)> {
    let get = |k: &str| body.get(k).or_else(|| old.and_then(|o| o.get(k)));
    let kind = get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a toxic needs a type"))?
        .to_string();
    if !KINDS.contains(&kind.as_str()) || kind == "cut" {
        return Err(bad(format!(
            "Bad toxic type: {kind}; pvmlab has latency, bandwidth, slow_close, timeout, reset_peer, slicer and limit_data"
        )));
    }
    let stream = get("stream")
        .and_then(Value::as_str)
        .unwrap_or("downstream");
    let direction = match stream {
        "upstream" => "up",
        "downstream" => "down",
        s => return Err(bad(format!("Bad stream {s:?}: use upstream or downstream"))),
    };
    let toxicity = get("toxicity").and_then(Value::as_f64).unwrap_or(1.0);
    if toxicity != 1.0 {
        return Err(bad(format!(
            "toxicity {toxicity}: pvmlab applies a toxic to every connection of its link (toxicity 1.0)"
        )));
    }
    let name = get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}_{stream}"));
    let mut attrs: BTreeMap<String, Value> = old
        .and_then(|o| o.get("attributes"))
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    if let Some(a) = body.get("attributes") {
        let a: BTreeMap<String, Value> =
            serde_json::from_value(a.clone()).map_err(|_| bad("attributes must be an object"))?;
        attrs.extend(a);
    }
    let allowed = attribute_names(&kind);
    let mut n = BTreeMap::new();
    for (k, v) in &attrs {
        if !allowed.contains(&k.as_str()) {
            return Err(bad(format!(
                "a {kind} toxic has no attribute {k}; it takes {}",
                allowed.join(", ")
            )));
        }
        let x = v.as_u64().ok_or_else(|| {
            bad(format!(
                "attribute {k} must be a whole number above or at 0"
            ))
        })?;
        n.insert(k.as_str(), x);
    }
    let at = |k: &str| n.get(k).copied().unwrap_or(0);
    let at32 =
        |k: &str| u32::try_from(at(k)).map_err(|_| bad(format!("attribute {k} is too large")));
    let mut s = Settings::default();
    match kind.as_str() {
        "latency" => {
            s.latency_ms = at32("latency")?;
            s.jitter_ms = at32("jitter")?;
        }
        "bandwidth" => s.rate_bytes_per_s = at("rate").saturating_mul(1000),
        "timeout" | "reset_peer" => s.timeout_ms = at32("timeout")?,
        "slow_close" => s.delay_ms = at32("delay")?,
        "limit_data" => s.limit_bytes = at("bytes"),
        _ => {
            s.slice_average_size = at32("average_size")?;
            s.slice_size_variation = at32("size_variation")?;
            s.slice_delay_us = at32("delay")?;
        }
    }
    let f = Fault::from_settings(&format!("{}.{name}", p.name), peer, direction, &kind, &s)
        .map_err(|e| bad(e.to_string()))?;
    Ok((name, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy() -> Proxy {
        Proxy {
            name: "a--b".into(),
            listen: "10.0.0.1:7700".into(),
            upstream: "10.0.0.2:7700".into(),
        }
    }

    #[test]
    fn a_toxic_becomes_a_fault_and_reads_back_the_same() {
        let body = json!({"name": "slow", "type": "latency", "stream": "upstream",
            "attributes": {"latency": 100, "jitter": 10}});
        let (name, f) = toxic_fault(&proxy(), "b", &body, None).expect("a toxic");
        assert_eq!((name.as_str(), f.name.as_str()), ("slow", "a--b.slow"));
        assert_eq!((f.peer.as_str(), f.direction), ("b", Direction::Up));
        assert_eq!(
            toxic_json(&name, &f),
            json!({"name": "slow", "type": "latency", "stream": "upstream", "toxicity": 1.0,
                "attributes": {"latency": 100, "jitter": 10}})
        );
        // Toxiproxy's bandwidth is in KB/s; an update keeps what it does not change.
        let bw = json!({"type": "bandwidth", "attributes": {"rate": 1000}});
        let (name, f) = toxic_fault(&proxy(), "b", &bw, None).expect("a toxic");
        assert_eq!(name, "bandwidth_downstream");
        assert!(matches!(f.kind, Kind::Bandwidth(b) if b.rate == 1_000_000));
        let old = toxic_json(&name, &f);
        let (_, f) = toxic_fault(&proxy(), "b", &json!({"stream": "upstream"}), Some(&old))
            .expect("an update");
        assert_eq!(toxic_json("bw", &f)["attributes"], json!({"rate": 1000}));
        let sl = json!({"type": "slicer", "attributes": {"average_size": 64, "delay": 30}});
        let (_, f) = toxic_fault(&proxy(), "b", &sl, None).expect("a slicer");
        assert_eq!(
            toxic_json("s", &f)["attributes"],
            json!({"average_size": 64, "size_variation": 0, "delay": 30})
        );
    }

    #[test]
    fn bad_toxics_are_refused() {
        for bad in [
            json!({"type": "warp"}),
            json!({"type": "cut"}),
            json!({"type": "latency", "attributes": {"lag": 5}}),
            json!({"type": "latency", "stream": "sideways"}),
            json!({"type": "latency", "toxicity": 0.5}),
            json!({"type": "latency", "attributes": {"latency": -1}}),
            json!({"type": "timeout", "attributes": {"timeout": 1u64 << 40}}),
        ] {
            assert!(toxic_fault(&proxy(), "b", &bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_disabled_proxy_is_a_cut_apart_from_its_toxics() {
        let cut = disabled(&proxy(), "b");
        let (_, slow) = toxic_fault(
            &proxy(),
            "b",
            &json!({"name": "slow", "type": "latency", "attributes": {"latency": 5}}),
            None,
        )
        .expect("a toxic");
        let faults = of_proxy(&proxy(), vec![cut, slow]);
        let j = json_of(&proxy(), &faults);
        assert_eq!(j["enabled"], json!(false));
        assert_eq!(j["toxics"].as_array().map(Vec::len), Some(1));
    }
}
