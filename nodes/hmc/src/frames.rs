//! The HMC's connections to its frames. Each frame is one task: log on with
//! the frame's HMC access password, then follow the FSP's stream: the frame
//! whole, then what each change changed, applied in place. Nothing polls; a
//! broken stream shows as No Connection at once.
//!
//! Each frame's view is shared (`Arc`): a reader takes the frames without
//! copying them, and a change copies a frame only while someone still
//! reads the version before it.

use pvmlab_common::model::frame_state;
use pvmlab_common::net::Chan;
use pvmlab_common::node::Health;
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::fsp::{FrameChange, LogonRequest, WatchRequest, frame_change};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

/// Every managed frame as this HMC sees it, in the order it was added.
#[derive(Clone)]
pub struct View {
    frames: Arc<Mutex<BTreeMap<usize, Arc<FrameView>>>>,
    changed: Arc<watch::Sender<u64>>,
    /// What each change changed, for those who follow partitions one by
    /// one (REST events) rather than look at the whole view.
    changes: tokio::sync::broadcast::Sender<Arc<Changed>>,
    /// The logged-on connection to each frame, for commands to use.
    conns: Arc<Mutex<HashMap<String, Conn>>>,
}

/// What one change of the view changed.
#[derive(Debug)]
pub struct Changed {
    pub frame: String,
    /// The partitions changed or added; None: the whole frame may have
    /// (it connected, was resent, or was lost).
    pub lpars: Option<Vec<u32>>,
    pub removed: Vec<u32>,
}

impl Changed {
    fn whole(frame: &str) -> Changed {
        Changed {
            frame: frame.to_string(),
            lpars: None,
            removed: Vec::new(),
        }
    }
}

/// Changes a follower may be behind before it must look at the whole view.
const BEHIND: usize = 4096;

/// A logged-on connection to one frame's FSP.
#[derive(Clone)]
pub struct Conn {
    pub fsp: FspClient<Chan>,
    pub session: String,
}

impl Default for View {
    fn default() -> Self {
        View {
            frames: Arc::default(),
            changed: Arc::new(watch::channel(0).0),
            changes: tokio::sync::broadcast::channel(BEHIND).0,
            conns: Arc::default(),
        }
    }
}

impl View {
    pub fn add(&self, name: &str) {
        let mut f = self.frames.lock().unwrap_or_else(|e| e.into_inner());
        let n = f.len();
        f.insert(
            n,
            Arc::new(FrameView {
                name: name.to_string(),
                state: frame_state::NO_CONNECTION.into(),
                ..Default::default()
            }),
        );
    }

    /// Changes one frame's view; `f` says what it changed, or None for
    /// nothing.
    fn update(&self, name: &str, f: impl FnOnce(&mut FrameView) -> Option<Changed>) {
        {
            let mut frames = self.frames.lock().unwrap_or_else(|e| e.into_inner());
            let Some(v) = frames.values_mut().find(|v| v.name == name) else {
                return;
            };
            let Some(what) = f(Arc::make_mut(v)) else {
                return;
            };
            // Sent under the lock, so that followers get changes in order.
            let _ = self.changes.send(Arc::new(what));
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// Every change from now on, one by one.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Arc<Changed>> {
        self.changes.subscribe()
    }

    /// Ticks on every change to the view.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn conn(&self, frame: &str) -> Option<Conn> {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(frame)
            .cloned()
    }

    fn set_conn(&self, frame: &str, conn: Option<Conn>) {
        let mut c = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        match conn {
            Some(conn) => c.insert(frame.to_string(), conn),
            None => c.remove(frame),
        };
    }

    /// Waits until `f` holds for the view, or `limit` passes; commands use it
    /// to return once the frame has reported the change they asked for.
    pub async fn wait_for(&self, limit: Duration, f: impl Fn(&[Arc<FrameView>]) -> bool) -> bool {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if f(&self.frames()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return false;
            }
        }
    }

    pub fn frames(&self) -> Vec<Arc<FrameView>> {
        self.frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn set_disconnected(&self, name: &str, state: &str) {
        self.update(name, |v| {
            if !v.connected && v.state == state {
                return None;
            }
            v.connected = false;
            v.state = state.to_string();
            // The last partitions seen stay, as the HMC keeps its last
            // inventory, but nothing about them is current.
            Some(Changed::whole(&v.name))
        });
    }

    fn apply(&self, name: &str, change: FrameChange) {
        self.update(name, |v| match change.kind {
            Some(frame_change::Kind::Snapshot(s)) => {
                v.connected = true;
                v.state = s
                    .frame
                    .as_ref()
                    .map(|f| f.state.clone())
                    .unwrap_or_default();
                v.frame = s.frame;
                v.partitions = s.partitions;
                Some(Changed::whole(&v.name))
            }
            Some(frame_change::Kind::Delta(d)) => Some(apply_delta(v, d)),
            None => None,
        });
    }
}

/// A change applied in place: partitions are kept in id order, as the FSP
/// sends them whole.
fn apply_delta(v: &mut FrameView, d: pvmlab_common::proto::fsp::FrameDelta) -> Changed {
    if let Some(f) = d.frame {
        v.state = f.state.clone();
        v.frame = Some(f);
    }
    let ids = d.partitions.iter().map(|p| p.id).collect();
    for p in d.partitions {
        match v.partitions.binary_search_by_key(&p.id, |x| x.id) {
            Ok(i) => v.partitions[i] = p,
            Err(i) => v.partitions.insert(i, p),
        }
    }
    if !d.removed.is_empty() {
        v.partitions.retain(|p| !d.removed.contains(&p.id));
    }
    Changed {
        frame: v.name.clone(),
        lpars: Some(ids),
        removed: d.removed,
    }
}

/// Follows one frame for as long as the HMC runs.
pub async fn manage(view: View, hmc: String, frame: String, password: String, chan: Chan) {
    let mut fsp =
        FspClient::new(chan).max_decoding_message_size(pvmlab_common::net::MAX_VIEW_MESSAGE);
    let mut logged = String::new();
    loop {
        let span = tracing::info_span!("hmc.connect_frame", %frame);
        let logon = fsp
            .logon(LogonRequest {
                hmc_name: hmc.clone(),
                password: password.clone(),
            })
            .instrument(span.clone())
            .await;
        let session = match logon {
            Ok(r) => r.into_inner().session,
            Err(e) => {
                let (state, wait) = if e.code() == tonic::Code::Unauthenticated {
                    (frame_state::FAILED_AUTHENTICATION, Duration::from_secs(2))
                } else {
                    (frame_state::NO_CONNECTION, Duration::from_millis(200))
                };
                if logged != state {
                    tracing::warn!(%frame, "{state}: {}", e.message());
                    logged = state.to_string();
                }
                view.set_disconnected(&frame, state);
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        match fsp
            .watch(WatchRequest {
                session: session.clone(),
            })
            .instrument(span)
            .await
        {
            Ok(resp) => {
                view.set_conn(
                    &frame,
                    Some(Conn {
                        fsp: fsp.clone(),
                        session,
                    }),
                );
                tracing::info!(%frame, "connected");
                logged.clear();
                let mut stream = resp.into_inner();
                loop {
                    match stream.message().await {
                        Ok(Some(snap)) => view.apply(&frame, snap),
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(%frame, "connection lost: {}", e.message());
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(%frame, "watch refused: {}", e.message()),
        }
        view.set_conn(&frame, None);
        view.set_disconnected(&frame, frame_state::NO_CONNECTION);
        logged = frame_state::NO_CONNECTION.into();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The HMC is ready once every frame it manages has given an answer (it
/// is connected, or it refused the password, which waiting will not
/// change) and the remote restart copies of every connected frame are
/// gathered, so that its first command finds what the frames hold.
pub async fn report_health(
    view: View,
    mut gathering: watch::Receiver<crate::restarts::Gathering>,
    health: Health,
) {
    let mut rx = view.changed.subscribe();
    loop {
        let g = gathering.borrow_and_update().clone();
        let frames = view.frames();
        let mut waiting: Vec<String> = frames
            .iter()
            .filter(|f| !f.connected && f.state != frame_state::FAILED_AUTHENTICATION)
            .map(|f| format!("not connected to {} ({})", f.name, f.state))
            .collect();
        waiting.extend(
            frames
                .iter()
                .filter(|f| f.connected && g.pending(&f.name))
                .map(|f| format!("gathering the remote restart data of {}", f.name)),
        );
        if waiting.is_empty() {
            health.set(true, "");
        } else {
            health.set(false, waiting.join(", "));
        }
        tokio::select! {
            r = rx.changed() => if r.is_err() { return },
            r = gathering.changed() => if r.is_err() { return },
        }
    }
}
