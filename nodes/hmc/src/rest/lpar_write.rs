//! Writes of a `LogicalPartition` (`POST …/LogicalPartition/{uuid}`, at
//! the root or under its ManagedSystem), as Ansible's `powervm_dlpar`
//! (the whole entry it read, with new desired values) and hmc-mcp (a
//! partial document: only the memory or the processor section) send
//! them. On a running partition a new desired memory or processor value
//! is a dynamic LPAR change (`chhwres -r mem|proc`), then kept in the
//! partition's profile as the HMC's "save current configuration" would;
//! on a stopped one it changes the profile (`chsyscfg -r prof`). The
//! values are checked first, an `If-Match` ETag must be the partition's
//! current one, and a change that the hypervisor refuses halfway is
//! undone, so a refused write changes nothing.

use super::quick::SHARING_MODES;
use super::templates::spec::{Env, Spec};
use super::{Reply, Rest, error, partition};
use crate::commands::apply_as;
use crate::commands::chhwres::{self, Chhwres};
use crate::commands::chsyscfg::{self, Chsyscfg, ProfileChange};
use crate::commands::config::ProfileInput;
use crate::commands::input::LparRef;
use crate::commands::rmsyscfg::{self, Rmsyscfg};
use axum::http::{HeaderMap, StatusCode, header};
use pvmlab_common::attrs::{check_profile, fmt_units, set_profile_attr};
use pvmlab_common::model::{Partition, Profile};
use pvmlab_common::proto::hmc::FrameView;
use std::sync::Arc;

/// What a posted LogicalPartition carries; None: the body leaves it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Wanted {
    pub min_mem: Option<u64>,
    pub desired_mem: Option<u64>,
    pub max_mem: Option<u64>,
    pub dedicated: Option<bool>,
    /// Dedicated processors, or a shared partition's virtual processors:
    /// one profile value either way, as on the HMC.
    pub min_procs: Option<u32>,
    pub desired_procs: Option<u32>,
    pub max_procs: Option<u32>,
    pub min_units: Option<f64>,
    pub desired_units: Option<f64>,
    pub max_units: Option<f64>,
    /// The profile's word (cap, uncap, keep_idle_procs …).
    pub sharing_mode: Option<String>,
    pub weight: Option<u32>,
    pub pool: Option<u32>,
}

/// The children named `name` (any namespace) of `node`.
fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn value<T: std::str::FromStr>(
    node: Option<roxmltree::Node<'_, '_>>,
    name: &str,
) -> Result<Option<T>, String> {
    let Some(v) = node.and_then(|n| child(n, name)) else {
        return Ok(None);
    };
    let t = v.text().unwrap_or_default().trim();
    t.parse()
        .map(Some)
        .map_err(|_| format!("The value {t:?} of {name} is not valid."))
}

impl Wanted {
    /// Reads the values of a LogicalPartition body (its root element).
    pub fn parse(root: roxmltree::Node<'_, '_>) -> Result<Wanted, String> {
        let mem = child(root, "PartitionMemoryConfiguration");
        let proc = child(root, "PartitionProcessorConfiguration");
        let ded = proc.and_then(|p| child(p, "DedicatedProcessorConfiguration"));
        let shr = proc.and_then(|p| child(p, "SharedProcessorConfiguration"));
        let dedicated = match proc.and_then(|p| child(p, "HasDedicatedProcessors")) {
            None => None,
            Some(n) => Some(match n.text().unwrap_or_default().trim() {
                "true" => true,
                "false" => false,
                t => {
                    return Err(format!(
                        "The value {t:?} of HasDedicatedProcessors is not valid."
                    ));
                }
            }),
        };
        let sharing_mode = match proc.and_then(|p| child(p, "SharingMode")) {
            None => None,
            Some(n) => {
                let t = n.text().unwrap_or_default().trim();
                let (_, w) = SHARING_MODES.iter().find(|(r, _)| *r == t).ok_or_else(|| {
                    format!(
                        "The value {t:?} of SharingMode is not valid; it is one of {}.",
                        SHARING_MODES
                            .iter()
                            .map(|(r, _)| *r)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                Some(w.to_string())
            }
        };
        let vprocs = |n| value::<u32>(shr, n);
        let procs = |n| value::<u32>(ded, n);
        // The section the partition's mode uses gives its processors; a body
        // that carries both (Ansible's whole entry) names the mode.
        let pick = |d: Option<u32>, s: Option<u32>| match dedicated {
            Some(true) => d.or(s),
            _ => s.or(d),
        };
        Ok(Wanted {
            min_mem: value(mem, "MinimumMemory")?,
            desired_mem: value(mem, "DesiredMemory")?,
            max_mem: value(mem, "MaximumMemory")?,
            dedicated,
            min_procs: pick(
                procs("MinimumProcessors")?,
                vprocs("MinimumVirtualProcessors")?,
            ),
            desired_procs: pick(
                procs("DesiredProcessors")?,
                vprocs("DesiredVirtualProcessors")?,
            ),
            max_procs: pick(
                procs("MaximumProcessors")?,
                vprocs("MaximumVirtualProcessors")?,
            ),
            min_units: value(shr, "MinimumProcessingUnits")?,
            desired_units: value(shr, "DesiredProcessingUnits")?,
            max_units: value(shr, "MaximumProcessingUnits")?,
            sharing_mode,
            weight: value(shr, "UncappedWeight")?,
            pool: value(shr, "SharedProcessorPoolID")?,
        })
    }

    /// The profile attributes that differ from `prof`, in the HMC's names.
    pub fn changes(&self, prof: &Profile) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut num = |k: &str, want: Option<u64>, have: u64| {
            if let Some(w) = want.filter(|w| *w != have) {
                out.push((k.into(), w.to_string()));
            }
        };
        num("min_mem", self.min_mem, prof.min_mem);
        num("desired_mem", self.desired_mem, prof.desired_mem);
        num("max_mem", self.max_mem, prof.max_mem);
        num(
            "min_procs",
            self.min_procs.map(u64::from),
            u64::from(prof.min_procs),
        );
        num(
            "desired_procs",
            self.desired_procs.map(u64::from),
            u64::from(prof.desired_procs),
        );
        num(
            "max_procs",
            self.max_procs.map(u64::from),
            u64::from(prof.max_procs),
        );
        let dedicated = self.dedicated.unwrap_or(prof.proc_mode == "ded");
        if dedicated != (prof.proc_mode == "ded") {
            out.push((
                "proc_mode".into(),
                if dedicated { "ded" } else { "shared" }.into(),
            ));
        }
        if !dedicated {
            let mut units = |k: &str, want: Option<f64>, have: f64| {
                if let Some(w) = want.filter(|w| (w - have).abs() > 1e-9) {
                    out.push((k.into(), fmt_units(w)));
                }
            };
            units("min_proc_units", self.min_units, prof.min_proc_units);
            units(
                "desired_proc_units",
                self.desired_units,
                prof.desired_proc_units,
            );
            units("max_proc_units", self.max_units, prof.max_proc_units);
            if let Some(p) = self.pool.filter(|p| *p != prof.shared_proc_pool_id) {
                out.push(("shared_proc_pool_id".into(), p.to_string()));
            }
        }
        if let Some(m) = self
            .sharing_mode
            .as_ref()
            .filter(|m| **m != prof.sharing_mode)
        {
            out.push(("sharing_mode".into(), m.clone()));
        }
        // A weight only means something to an uncapped partition; the
        // entry's 0 for a capped one is no change.
        let uncapped = self.sharing_mode.as_deref().unwrap_or(&prof.sharing_mode) == "uncap";
        if let Some(w) = self.weight.filter(|w| uncapped && *w != prof.uncap_weight) {
            out.push(("uncap_weight".into(), w.to_string()));
        }
        out
    }
}

/// What a write does: the dynamic changes of a running partition (memory
/// in MB, processors, processing units, each signed) and the profile
/// attributes to keep.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub mem: i64,
    pub procs: i64,
    pub units: f64,
    pub profile: Vec<(String, String)>,
}

/// The plan for `wanted` on partition `p` (its profile `prof`), checked
/// as the profile would be after it: the first thing wrong, else what to do.
pub fn plan(wanted: &Wanted, p: &Partition, prof: &Profile) -> Result<Plan, String> {
    let attrs = wanted.changes(prof);
    let mut after = prof.clone();
    for (k, v) in &attrs {
        set_profile_attr(&mut after, k, v)
            .map_err(|e| format!("An invalid attribute value was entered: {e}"))?;
    }
    check_profile(&after)
        .map_err(|e| format!("The partition {} cannot be changed: {e}.", p.name))?;
    let mut plan = Plan {
        profile: attrs,
        ..Plan::default()
    };
    if let Some(cur) = p.curr.as_ref().filter(|_| !plan.profile.is_empty()) {
        let asked = |k: &str| plan.profile.iter().any(|(x, _)| x == k);
        if asked("proc_mode") {
            return Err(format!(
                "The processing mode of partition {} cannot be changed while it is running.",
                p.name
            ));
        }
        if asked("desired_mem") {
            plan.mem = after.desired_mem as i64 - cur.mem_mb as i64;
        }
        if asked("desired_procs") {
            plan.procs = i64::from(after.desired_procs) - i64::from(cur.procs);
        }
        if asked("desired_proc_units") && after.proc_mode == "shared" {
            plan.units = after.desired_proc_units - cur.proc_units;
            if plan.units.abs() < 1e-9 {
                plan.units = 0.0;
            }
        }
    }
    Ok(plan)
}

/// One dynamic change: the chhwres the command line would run.
fn dlpar(frame: &str, lpar: &str, change: Dyn) -> Chhwres {
    let lpar = LparRef::Name(lpar.to_string());
    let op = |neg: bool| {
        if neg {
            chhwres::Op::Remove
        } else {
            chhwres::Op::Add
        }
    };
    let change = match change {
        Dyn::Mem(mb) => chhwres::Change::Mem {
            lpar,
            op: op(mb < 0),
            mb: mb.unsigned_abs(),
        },
        Dyn::Procs(n) => chhwres::Change::Proc {
            lpar,
            op: op(n < 0),
            procs: Some(n.unsigned_abs() as u32),
            units: None,
        },
        Dyn::Units(u) => chhwres::Change::Proc {
            lpar,
            op: op(u < 0.0),
            procs: None,
            units: Some(u.abs()),
        },
    };
    Chhwres {
        frame: frame.to_string(),
        change,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dyn {
    Mem(i64),
    Procs(i64),
    Units(f64),
}

impl Dyn {
    fn undo(self) -> Dyn {
        match self {
            Dyn::Mem(m) => Dyn::Mem(-m),
            Dyn::Procs(n) => Dyn::Procs(-n),
            Dyn::Units(u) => Dyn::Units(-u),
        }
    }
}

/// The dynamic changes in an order each of which the hypervisor can take:
/// what frees resources (and processing units before virtual processors
/// grow, virtual processors before units shrink) first.
fn steps(plan: &Plan) -> Vec<Dyn> {
    let mut s = Vec::new();
    if plan.mem != 0 {
        s.push(Dyn::Mem(plan.mem));
    }
    let (p, u) = (Dyn::Procs(plan.procs), Dyn::Units(plan.units));
    match (plan.procs != 0, plan.units != 0.0) {
        (true, true) if plan.procs > 0 => s.extend([u, p]),
        (true, true) => s.extend([p, u]),
        (true, false) => s.push(p),
        (false, true) => s.push(u),
        (false, false) => {}
    }
    s
}

/// The partition an entry path names (its UUID), and its frame: during a
/// migration the source's, whose state refuses the change.
fn find(rest: &Rest, uuid: &str) -> Option<(FrameView, Partition)> {
    super::jobs::target(rest, uuid)
}

/// POST of a LogicalPartition entry (`rel` its path under /rest/api/uom).
pub async fn post(
    rest: &Arc<Rest>,
    user: &str,
    uuid: &str,
    rel: &str,
    headers: &HeaderMap,
    body: &[u8],
    uri: &str,
) -> Reply {
    let Some((f, p)) = find(rest, uuid) else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("No LogicalPartition {uuid} is managed by this management console."),
        );
    };
    // The client must have read the partition as it is now.
    if let Some(want) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        let have = read(rest, user, rel, uri).await.etag;
        let want = want.trim().trim_matches('"');
        if want != "*" && have.as_deref() != Some(want) {
            return error(
                StatusCode::PRECONDITION_FAILED,
                uri,
                "Precondition Failed",
                &format!(
                    "The LogicalPartition {} has changed since it was read (ETag {want} is not {}): read it again and retry.",
                    p.name,
                    have.unwrap_or_default()
                ),
            );
        }
    }
    let text = String::from_utf8_lossy(body);
    let doc = match super::parse(&text, uri, "LogicalPartition") {
        Ok(d) => d,
        Err(e) => return e,
    };
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, uri, "Bad Request", m);
    let wanted = match Wanted::parse(doc.root_element()) {
        Ok(w) => w,
        Err(m) => return bad(&m),
    };
    let prof = partition::current_profile(&p);
    let plan = match plan(&wanted, &p, &prof) {
        Ok(plan) => plan,
        Err(m) => return bad(&m),
    };
    if let Err(m) = apply(rest, user, &f, &p, &prof, plan).await {
        return bad(m.trim_end());
    }
    read(rest, user, rel, uri).await
}

/// The partition as a GET shows it now: what a write answers.
async fn read(rest: &Arc<Rest>, user: &str, rel: &str, uri: &str) -> Reply {
    let g = super::Get {
        rest,
        base: rest.base.clone(),
        user: user.to_string(),
    };
    g.read(rel, uri).await
}

/// The partition a creating PUT describes, with the HMC's defaults for
/// what the body leaves out (hmc-mcp sends only what its caller gave).
pub fn new_partition(root: roxmltree::Node<'_, '_>, wanted: &Wanted) -> Result<Spec, String> {
    let text = |n: &str| child(root, n).map(|x| x.text().unwrap_or_default().trim().to_string());
    let name = text("PartitionName").unwrap_or_default();
    let env = match text("PartitionType").as_deref() {
        None | Some("AIX/Linux") => Env::AixLinux,
        Some("Virtual IO Server") => Env::Vios,
        Some("OS400") => Env::IbmI,
        Some(t) => return Err(format!("The value {t:?} of PartitionType is not valid.")),
    };
    let id = match text("PartitionID") {
        None => None,
        Some(t) => Some(
            t.parse::<u32>()
                .map_err(|_| format!("The value {t:?} of PartitionID is not valid."))?,
        ),
    };
    let slots = match text("MaximumVirtualIoSlots") {
        None => 20,
        Some(t) => t
            .parse()
            .map_err(|_| format!("The value {t:?} of MaximumVirtualIoSlots is not valid."))?,
    };
    let dedicated = wanted.dedicated.unwrap_or(false);
    let desired_mem = wanted.desired_mem.unwrap_or(2048);
    let desired_procs = wanted.desired_procs.unwrap_or(1);
    let desired_units = wanted.desired_units.unwrap_or(0.5);
    Ok(Spec {
        lpar_name: name,
        lpar_id: id.filter(|i| *i != 0),
        env,
        max_virtual_slots: slots,
        dedicated,
        sharing_mode: wanted.sharing_mode.clone().unwrap_or_else(|| {
            if dedicated {
                "share_idle_procs"
            } else {
                "uncap"
            }
            .to_string()
        }),
        min_procs: wanted.min_procs.unwrap_or(1),
        desired_procs,
        max_procs: wanted.max_procs.unwrap_or(desired_procs),
        min_units: wanted.min_units.unwrap_or(0.1),
        desired_units,
        max_units: wanted.max_units.unwrap_or(desired_units),
        weight: wanted.weight.unwrap_or(128),
        pool: wanted.pool.unwrap_or(0),
        min_mem: wanted.min_mem.unwrap_or(desired_mem.min(1024)),
        desired_mem,
        max_mem: wanted.max_mem.unwrap_or(desired_mem),
        compat_mode: "default".into(),
        srr: false,
        networks: Vec::new(),
        storage: Vec::new(),
    })
}

/// PUT of a LogicalPartition under its ManagedSystem (`ms` its UUID):
/// the partition created as `mksyscfg -r lpar` creates it.
pub async fn create(rest: &Arc<Rest>, user: &str, ms: &str, body: &[u8], uri: &str) -> Reply {
    let Some(f) = super::system::by_uuid(rest.hmc.view.frames(), ms) else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("No ManagedSystem {ms} is managed by this management console."),
        );
    };
    let text = String::from_utf8_lossy(body);
    let doc = match super::parse(&text, uri, "LogicalPartition") {
        Ok(d) => d,
        Err(e) => return e,
    };
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, uri, "Bad Request", m);
    let root = doc.root_element();
    let spec = match Wanted::parse(root).and_then(|w| new_partition(root, &w)) {
        Ok(s) => s,
        Err(m) => return bad(&m),
    };
    let cmd = match spec.check(&f).and_then(|()| spec.command(&f)) {
        Ok(c) => c,
        Err(m) => return bad(&m),
    };
    let (out, code) = apply_as(&rest.hmc, user, "mksyscfg", Ok(cmd)).await;
    if code != 0 {
        return bad(out.trim_end());
    }
    let made = rest.hmc.view.frames().into_iter().find_map(|x| {
        (x.name == f.name)
            .then(|| {
                x.partitions
                    .iter()
                    .find(|p| p.name == spec.lpar_name)
                    .cloned()
            })
            .flatten()
    });
    match made {
        Some(p) => {
            read(
                rest,
                user,
                &format!("/LogicalPartition/{}", partition::uuid(&f.name, &p)),
                uri,
            )
            .await
        }
        None => bad(&format!(
            "The partition {} was created but is not yet shown by the managed system.",
            spec.lpar_name
        )),
    }
}

/// DELETE of a LogicalPartition: `rmsyscfg -r lpar`, which refuses a
/// partition that is not stopped.
pub async fn delete(rest: &Rest, user: &str, uuid: &str, uri: &str) -> Reply {
    let Some((f, p)) = find(rest, uuid) else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("No LogicalPartition {uuid} is managed by this management console."),
        );
    };
    let cmd = Rmsyscfg {
        frame: f.name.clone(),
        target: rmsyscfg::Target::Lpar(LparRef::Name(p.name.clone())),
    };
    let (out, code) = apply_as(&rest.hmc, user, "rmsyscfg", Ok(cmd)).await;
    if code != 0 {
        return error(StatusCode::BAD_REQUEST, uri, "Bad Request", out.trim_end());
    }
    Reply {
        status: StatusCode::NO_CONTENT,
        media: String::new(),
        body: String::new(),
        etag: None,
    }
}

/// Applies a plan: the dynamic changes, undone in reverse if a later one
/// or the profile is refused, then the profile. Err: the refusal.
async fn apply(
    rest: &Rest,
    user: &str,
    f: &FrameView,
    p: &Partition,
    prof: &Profile,
    plan: Plan,
) -> Result<(), String> {
    let mut done: Vec<Dyn> = Vec::new();
    let mut failed = None;
    for s in steps(&plan) {
        let (out, code) =
            apply_as(&rest.hmc, user, "chhwres", Ok(dlpar(&f.name, &p.name, s))).await;
        if code != 0 {
            failed = Some(out);
            break;
        }
        done.push(s);
    }
    if failed.is_none() && !plan.profile.is_empty() {
        let change = ProfileChange {
            name: prof.name.clone(),
            lpar: LparRef::Name(p.name.clone()),
            profile: match ProfileInput::parse(&plan.profile) {
                Ok(i) => i,
                Err(e) => return Err(e.to_string()),
            },
        };
        let c = Chsyscfg {
            frame: f.name.clone(),
            change: chsyscfg::Change::Profiles(vec![change]),
        };
        let (out, code) = apply_as(&rest.hmc, user, "chsyscfg", Ok(c)).await;
        if code != 0 {
            failed = Some(out);
        }
    }
    let Some(why) = failed else {
        return Ok(());
    };
    for s in done.into_iter().rev() {
        let (out, code) = apply_as(
            &rest.hmc,
            user,
            "chhwres",
            Ok(dlpar(&f.name, &p.name, s.undo())),
        )
        .await;
        if code != 0 {
            tracing::warn!(lpar = %p.name, %out, "REST write: undoing a dynamic change failed");
        }
    }
    Err(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::attrs::default_profile;
    use pvmlab_common::model::Resources;

    fn prof() -> Profile {
        Profile {
            min_mem: 1024,
            desired_mem: 4096,
            max_mem: 8192,
            min_procs: 1,
            desired_procs: 2,
            max_procs: 4,
            min_proc_units: 0.1,
            desired_proc_units: 0.5,
            max_proc_units: 2.0,
            ..default_profile("default_profile")
        }
    }

    fn parse(body: &str) -> Result<Wanted, String> {
        let d = roxmltree::Document::parse(body).map_err(|e| e.to_string())?;
        Wanted::parse(d.root_element())
    }

    #[test]
    fn the_whole_entry_ansible_posts_back_is_read_by_section() {
        // What powervm_dlpar sends: the entry it read (namespace stripped,
        // one default namespace on the root), a new DesiredMemory and
        // DesiredVirtualProcessors.
        let b = r#"<LogicalPartition xmlns="http://www.ibm.com/xmlns/systems/power/firmware/uom/mc/2012_10/" schemaVersion="V1_0"><Metadata><Atom><AtomID>x</AtomID></Atom></Metadata>
<PartitionMemoryConfiguration><CurrentMemory>4096</CurrentMemory><DesiredMemory>6144</DesiredMemory><MaximumMemory>8192</MaximumMemory><MinimumMemory>1024</MinimumMemory></PartitionMemoryConfiguration>
<PartitionProcessorConfiguration><HasDedicatedProcessors>false</HasDedicatedProcessors>
<SharedProcessorConfiguration><DesiredProcessingUnits>0.5</DesiredProcessingUnits><DesiredVirtualProcessors>3</DesiredVirtualProcessors><MaximumProcessingUnits>2</MaximumProcessingUnits><MinimumProcessingUnits>0.1</MinimumProcessingUnits><SharedProcessorPoolID>0</SharedProcessorPoolID></SharedProcessorConfiguration>
<SharingMode>uncapped</SharingMode><CurrentSharedProcessorConfiguration><AllocatedVirtualProcessors>2</AllocatedVirtualProcessors></CurrentSharedProcessorConfiguration></PartitionProcessorConfiguration></LogicalPartition>"#;
        let w = parse(b).unwrap();
        assert_eq!(w.desired_mem, Some(6144));
        assert_eq!(w.desired_procs, Some(3));
        assert_eq!(w.dedicated, Some(false));
        assert_eq!(w.sharing_mode.as_deref(), Some("uncap"));
        assert_eq!(
            w.changes(&prof()),
            vec![
                ("desired_mem".to_string(), "6144".to_string()),
                ("desired_procs".into(), "3".into())
            ]
        );
    }

    #[test]
    fn a_partial_document_changes_only_what_it_carries() {
        // hmc-mcp's build_dlpar_mem_document.
        let w = parse(r#"<LogicalPartition xmlns="u" schemaVersion="V1_0"><Metadata><Atom/></Metadata><PartitionMemoryConfiguration kb="CUD" kxe="false"><Metadata><Atom/></Metadata><DesiredMemory kb="CUD" kxe="false">2048</DesiredMemory></PartitionMemoryConfiguration></LogicalPartition>"#).unwrap();
        assert_eq!(
            w,
            Wanted {
                desired_mem: Some(2048),
                ..Wanted::default()
            }
        );
        // Its dedicated processor document.
        let w = parse(r#"<LogicalPartition xmlns="u"><PartitionProcessorConfiguration><DedicatedProcessorConfiguration><DesiredProcessors>3</DesiredProcessors></DedicatedProcessorConfiguration><HasDedicatedProcessors>true</HasDedicatedProcessors></PartitionProcessorConfiguration></LogicalPartition>"#).unwrap();
        assert_eq!((w.dedicated, w.desired_procs), (Some(true), Some(3)));
        let mut ded = prof();
        ded.proc_mode = "ded".into();
        ded.sharing_mode = "share_idle_procs".into();
        assert_eq!(
            w.changes(&ded),
            vec![("desired_procs".to_string(), "3".to_string())]
        );
        assert!(parse(r#"<LogicalPartition><PartitionMemoryConfiguration><DesiredMemory>lots</DesiredMemory></PartitionMemoryConfiguration></LogicalPartition>"#).is_err());
        assert!(parse(r#"<LogicalPartition><PartitionProcessorConfiguration><SharingMode>greedy</SharingMode></PartitionProcessorConfiguration></LogicalPartition>"#).is_err());
    }

    #[test]
    fn a_new_partition_takes_the_hmcs_defaults_for_what_the_body_leaves_out() {
        // hmc-mcp's build_lpar_document(name, resources=desired memory only).
        let b = r#"<LogicalPartition xmlns="u" schemaVersion="V1_0"><Metadata><Atom/></Metadata><PartitionMemoryConfiguration><DesiredMemory>4096</DesiredMemory></PartitionMemoryConfiguration><PartitionName kb="CUR" kxe="false">new01</PartitionName><PartitionType>AIX/Linux</PartitionType></LogicalPartition>"#;
        let d = roxmltree::Document::parse(b).unwrap();
        let w = Wanted::parse(d.root_element()).unwrap();
        let s = new_partition(d.root_element(), &w).unwrap();
        assert_eq!(
            (s.lpar_name.as_str(), s.env, s.lpar_id),
            ("new01", Env::AixLinux, None)
        );
        assert_eq!((s.min_mem, s.desired_mem, s.max_mem), (1024, 4096, 4096));
        assert!(!s.dedicated && s.sharing_mode == "uncap");
        let bad = r#"<LogicalPartition><PartitionName>x</PartitionName><PartitionType>z/OS</PartitionType></LogicalPartition>"#;
        let d = roxmltree::Document::parse(bad).unwrap();
        assert!(new_partition(d.root_element(), &Wanted::default()).is_err());
    }

    fn running(mem: u64, procs: u32, units: f64) -> Partition {
        Partition {
            name: "aix72a".into(),
            curr: Some(Resources {
                mem_mb: mem,
                procs,
                proc_units: units,
                proc_mode: "shared".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_running_partition_changes_by_dlpar_from_what_it_holds_and_keeps_it_in_its_profile() {
        let w = Wanted {
            desired_mem: Some(6144),
            desired_procs: Some(3),
            desired_units: Some(0.8),
            ..Wanted::default()
        };
        let p = plan(&w, &running(4096, 2, 0.5), &prof()).unwrap();
        assert_eq!((p.mem, p.procs), (2048, 1));
        assert!((p.units - 0.3).abs() < 1e-9);
        assert_eq!(p.profile.len(), 3);
        // More units first, then the virtual processors they serve.
        assert_eq!(steps(&p)[1], Dyn::Units(p.units));
        // A stopped partition: the profile only.
        let stopped = Partition {
            curr: None,
            ..running(0, 0, 0.0)
        };
        let p = plan(&w, &stopped, &prof()).unwrap();
        assert_eq!((p.mem, p.procs, p.units), (0, 0, 0.0));
        assert!(steps(&p).is_empty());
        // Nothing new: nothing to do.
        let same = Wanted {
            desired_mem: Some(4096),
            ..Wanted::default()
        };
        assert_eq!(
            plan(&same, &running(4096, 2, 0.5), &prof()),
            Ok(Plan::default())
        );
    }

    #[test]
    fn values_outside_the_profile_limits_are_refused_before_anything_runs() {
        let over = Wanted {
            desired_mem: Some(16384),
            ..Wanted::default()
        };
        let e = plan(&over, &running(4096, 2, 0.5), &prof()).unwrap_err();
        assert!(e.contains("min_mem <= desired_mem <= max_mem"), "{e}");
        let few_units = Wanted {
            desired_procs: Some(4),
            desired_units: Some(0.1),
            ..Wanted::default()
        };
        assert!(plan(&few_units, &running(4096, 2, 0.5), &prof()).is_err());
        let mode = Wanted {
            dedicated: Some(true),
            sharing_mode: Some("keep_idle_procs".into()),
            ..Wanted::default()
        };
        assert!(
            plan(&mode, &running(4096, 2, 0.5), &prof())
                .unwrap_err()
                .contains("while it is running")
        );
    }
}
