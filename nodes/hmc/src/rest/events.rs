//! REST events: `GET /rest/api/uom/Event?QUEUE_CLIENTKEY_METHOD=
//! USE_APPLICATIONID&QUEUE_APPLICATIONID=<id>` is a long poll on the
//! application's own queue. A new application first gets NEW_CLIENT; then
//! ADD_URI, MODIFY_URI and DELETE_URI for every frame and partition that
//! appears, changes or goes — whoever changed it (this HMC's command line
//! or REST, another HMC, the frame itself): the events come from the
//! frames' own change streams, through the HMC's view. A queue that
//! overflowed says MISSING_EVENTS.

use super::{Reply, Rest, xml};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Events an application may leave unread before it misses some.
const QUEUE: usize = 2000;
/// How long a poll waits for an event.
const POLL: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Event {
    id: u64,
    kind: &'static str,
    uri: String,
}

#[derive(Default)]
pub struct Events {
    queues: Mutex<HashMap<String, VecDeque<Event>>>,
    next: std::sync::atomic::AtomicU64,
    arrived: Notify,
}

impl Events {
    fn push_all(&self, evs: &[(&'static str, String)]) {
        if evs.is_empty() {
            return;
        }
        let mut qs = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        for q in qs.values_mut() {
            for (kind, uri) in evs {
                if q.len() >= QUEUE {
                    q.clear();
                    q.push_back(self.event("MISSING_EVENTS", String::new()));
                }
                q.push_back(self.event(kind, uri.clone()));
            }
        }
        drop(qs);
        self.arrived.notify_waiters();
    }

    fn event(&self, kind: &'static str, uri: String) -> Event {
        let base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Event {
            id: base * 1000 + n % 1000,
            kind,
            uri,
        }
    }
}

/// What a frame and its partitions look like, to tell what changed: by
/// frame and partition id (0 for the frame itself), the URI and a hash of
/// its value (a site's worth of values would be hundreds of MB).
type Seen = BTreeMap<(String, u32), (String, u64)>;

fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// The frame's own entry and those of its partitions (all, or `only`).
fn entries(rest: &Rest, f: &FrameView, only: Option<&[u32]>, out: &mut Seen) {
    let sys = crate::ids::frame(&f.name);
    let sys_uri = format!("{}/rest/api/uom/ManagedSystem/{sys}", rest.base);
    let state = hash(&format!(
        "{}|{:?}",
        f.state,
        f.frame.as_ref().map(|x| x.epoch)
    ));
    out.insert((f.name.clone(), 0), (sys_uri.clone(), state));
    let mut add = |p: &pvmlab_common::model::Partition| {
        let kind = if p.lpar_env == "vioserver" {
            "VirtualIOServer"
        } else {
            "LogicalPartition"
        };
        let uri = format!("{sys_uri}/{kind}/{}", super::partition::uuid(&f.name, p));
        out.insert((f.name.clone(), p.id), (uri, hash(&format!("{p:?}"))));
    };
    match only {
        None => f.partitions.iter().for_each(&mut add),
        Some(ids) => ids
            .iter()
            .filter_map(|id| {
                let i = f.partitions.binary_search_by_key(id, |p| p.id).ok()?;
                f.partitions.get(i)
            })
            .for_each(&mut add),
    }
}

/// The events that take `before` to `now` for the keys `now` covers, and
/// DELETE_URI for `gone`; `before` becomes the new truth.
fn diff(before: &mut Seen, now: Seen, gone: Vec<(String, u32)>) -> Vec<(&'static str, String)> {
    let mut evs = Vec::new();
    for (key, (uri, v)) in now {
        match before.get(&key) {
            None => evs.push(("ADD_URI", uri.clone())),
            Some((_, old)) if *old != v => evs.push(("MODIFY_URI", uri.clone())),
            _ => {}
        }
        before.insert(key, (uri, v));
    }
    for key in gone {
        if let Some((uri, _)) = before.remove(&key) {
            evs.push(("DELETE_URI", uri));
        }
    }
    evs
}

/// Turns every change of the HMC's view into events, for as long as the
/// process runs. A change costs what it changed: only the partitions it
/// names are looked at, unless the whole frame may have changed.
pub async fn watch(rest: Arc<Rest>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut changes = rest.hmc.view.changes();
    let mut before = Seen::new();
    for f in rest.hmc.view.frames() {
        entries(&rest, &f, None, &mut before);
    }
    loop {
        let (frames, only): (Vec<String>, _) = match changes.recv().await {
            Ok(c) => (vec![c.frame.clone()], Some(c)),
            // Behind: every frame, whole.
            Err(RecvError::Lagged(_)) => (
                rest.hmc
                    .view
                    .frames()
                    .iter()
                    .map(|f| f.name.clone())
                    .collect(),
                None,
            ),
            Err(RecvError::Closed) => return,
        };
        let view = rest.hmc.view.frames();
        let mut evs = Vec::new();
        for name in frames {
            let Some(f) = view.iter().find(|f| f.name == name) else {
                continue;
            };
            let mut now = Seen::new();
            let ids = only.as_ref().and_then(|c| c.lpars.as_deref());
            entries(&rest, f, ids, &mut now);
            let gone: Vec<(String, u32)> = match ids {
                // Whole: whatever of this frame is not there now is gone.
                None => before
                    .range((name.clone(), 0)..=(name.clone(), u32::MAX))
                    .map(|(k, _)| k.clone())
                    .filter(|k| !now.contains_key(k))
                    .collect(),
                Some(_) => only
                    .iter()
                    .flat_map(|c| c.removed.iter().map(|id| (name.clone(), *id)))
                    .collect(),
            };
            evs.extend(diff(&mut before, now, gone));
        }
        rest.events.push_all(&evs);
    }
}

fn feed(rest: &Rest, evs: &[Event]) -> Reply {
    let entries: Vec<String> = evs
        .iter()
        .map(|e| {
            let id = crate::ids::uuid("Event", &e.id.to_string());
            xml::entry(
                &rest.base,
                "Event",
                &id,
                &format!(
                    "{}{}{}<EventDetail kxe=\"false\" kb=\"ROR\"/>",
                    xml::el("EventType", "ROR", e.kind),
                    xml::el("EventID", "ROR", &e.id.to_string()),
                    xml::el("EventData", "ROR", &e.uri)
                ),
            )
        })
        .collect();
    Reply::feed("Event", &entries)
}

/// The long poll for one application's queue.
pub async fn poll(rest: &Rest, query: &str) -> Reply {
    let app = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("QUEUE_APPLICATIONID="))
        .unwrap_or("default")
        .to_string();
    let deadline = tokio::time::Instant::now() + POLL;
    loop {
        let arrived = rest.events.arrived.notified();
        {
            let mut qs = rest.events.queues.lock().unwrap_or_else(|e| e.into_inner());
            let q = qs.entry(app.clone()).or_insert_with(|| {
                VecDeque::from([rest.events.event("NEW_CLIENT", String::new())])
            });
            if !q.is_empty() {
                let evs: Vec<Event> = q.drain(..).collect();
                drop(qs);
                return feed(rest, &evs);
            }
        }
        if tokio::time::timeout_at(deadline, arrived).await.is_err() {
            return feed(rest, &[]);
        }
    }
}
