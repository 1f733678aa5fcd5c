//! AIX MPIO in a client partition, as a pure model: a disk is one LUN
//! (found by its unique id) with one path per virtual SCSI or FC client adapter
//! that reaches it; I/O takes the best Enabled path (`fail_over`: the
//! lowest priority value, then the first configured; `round_robin`: each
//! in turn), a failed attempt fails its path and the I/O moves to the next,
//! and the health check (`hcheck_interval`, `hcheck_mode=nonactive`)
//! brings failed paths back once they answer again.

/// `lspath`'s words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStatus {
    Enabled,
    Disabled,
    Failed,
    Defined,
    Missing,
}

impl PathStatus {
    pub fn name(self) -> &'static str {
        match self {
            PathStatus::Enabled => "Enabled",
            PathStatus::Disabled => "Disabled",
            PathStatus::Failed => "Failed",
            PathStatus::Defined => "Defined",
            PathStatus::Missing => "Missing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    FailOver,
    RoundRobin,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::FailOver => "fail_over",
            Algorithm::RoundRobin => "round_robin",
        }
    }

    pub fn parse(s: &str) -> Option<Algorithm> {
        match s {
            "fail_over" => Some(Algorithm::FailOver),
            "round_robin" => Some(Algorithm::RoundRobin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathCounts {
    pub completed: u64,
    pub retried: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The client adapter: `vscsi0`.
    pub parent: String,
    pub vios_lpar_id: u32,
    pub vios_name: String,
    pub server_slot: u32,
    /// Over virtual FC: the client port's WWPN (empty over virtual SCSI).
    pub wwpn: String,
    pub status: PathStatus,
    pub priority: u32,
    pub counts: PathCounts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    /// `hdisk0`.
    pub name: String,
    pub lun_id: String,
    pub udid: String,
    pub size_mb: u64,
    pub paths: Vec<Path>,
    pub algorithm: Algorithm,
    /// The path the last round-robin I/O took.
    next: usize,
    /// Every path had failed when an I/O needed one (logged once per outage).
    pub no_path: bool,
}

impl Disk {
    pub fn new(name: String, lun_id: String, udid: String, size_mb: u64) -> Disk {
        Disk {
            name,
            lun_id,
            udid,
            size_mb,
            paths: Vec::new(),
            algorithm: Algorithm::FailOver,
            next: 0,
            no_path: false,
        }
    }

    /// The path for the next I/O, or none when no path is Enabled.
    pub fn pick(&mut self) -> Option<usize> {
        match self.algorithm {
            Algorithm::FailOver => self.fail_over_path(),
            Algorithm::RoundRobin => {
                let enabled: Vec<usize> = (0..self.paths.len())
                    .filter(|&i| self.paths[i].status == PathStatus::Enabled)
                    .collect();
                let i = *enabled
                    .iter()
                    .find(|&&i| i >= self.next)
                    .or(enabled.first())?;
                self.next = i + 1;
                Some(i)
            }
        }
    }

    /// The Enabled path `fail_over` uses: the lowest priority value, then
    /// the first configured.
    fn fail_over_path(&self) -> Option<usize> {
        (0..self.paths.len())
            .filter(|&i| self.paths[i].status == PathStatus::Enabled)
            .min_by_key(|&i| (self.paths[i].priority, i))
    }

    /// An attempt on path `i` failed: the path fails (true the first time,
    /// when the error log gets PATH HAS FAILED).
    pub fn fail(&mut self, i: usize) -> bool {
        let p = &mut self.paths[i];
        p.counts.failed += 1;
        let newly = p.status == PathStatus::Enabled;
        if newly {
            p.status = PathStatus::Failed;
        }
        newly
    }

    /// The VIOS no longer maps the disk behind path `i` (its mapping was
    /// removed): the path is Missing until the mapping is back.
    pub fn missing(&mut self, i: usize) -> bool {
        let p = &mut self.paths[i];
        p.counts.failed += 1;
        let newly = p.status == PathStatus::Enabled;
        if matches!(p.status, PathStatus::Enabled | PathStatus::Failed) {
            p.status = PathStatus::Missing;
        }
        newly
    }

    /// `rmpath -l`: the path stays known but unconfigured (Defined);
    /// `mkpath` configures it again.
    pub fn define(&mut self, i: usize, configured: bool) {
        let p = &mut self.paths[i];
        p.status = match (configured, p.status) {
            (false, _) => PathStatus::Defined,
            (true, PathStatus::Defined) => PathStatus::Enabled,
            (true, s) => s,
        };
    }

    /// An I/O completed on path `i` after `attempts` failed attempts.
    pub fn done(&mut self, i: usize, attempts: u32) {
        let p = &mut self.paths[i];
        p.counts.completed += 1;
        if attempts > 0 {
            p.counts.retried += 1;
        }
        self.no_path = false;
    }

    /// The paths the health check probes (`hcheck_mode=nonactive`): the
    /// failed and missing ones, which come back when a probe answers, and
    /// the Enabled ones that carry no I/O (under `fail_over`, every one but
    /// the path in use), which fail when a probe finds their VIOS gone.
    pub fn to_check(&self) -> Vec<usize> {
        let active = match self.algorithm {
            Algorithm::FailOver => self.fail_over_path(),
            Algorithm::RoundRobin => None,
        };
        (0..self.paths.len())
            .filter(|&i| match self.paths[i].status {
                PathStatus::Failed | PathStatus::Missing => true,
                PathStatus::Enabled => self.algorithm == Algorithm::FailOver && active != Some(i),
                PathStatus::Disabled | PathStatus::Defined => false,
            })
            .collect()
    }

    /// A health check of path `i` answered: a failed path comes back
    /// (true when it does, for PATH HAS RECOVERED).
    pub fn recovered(&mut self, i: usize) -> bool {
        let p = &mut self.paths[i];
        let back = matches!(p.status, PathStatus::Failed | PathStatus::Missing);
        if back {
            p.status = PathStatus::Enabled;
        }
        back
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk() -> Disk {
        let mut d = Disk::new("hdisk0".into(), "lun01".into(), "u".into(), 1);
        for (n, vios) in [(0, 1), (1, 2)] {
            d.paths.push(Path {
                parent: format!("vscsi{n}"),
                vios_lpar_id: vios,
                vios_name: format!("vios{vios}"),
                server_slot: 13,
                wwpn: String::new(),
                status: PathStatus::Enabled,
                priority: 1,
                counts: PathCounts::default(),
            });
        }
        d
    }

    #[test]
    fn io_fails_over_to_the_surviving_path_and_comes_back() {
        let mut d = disk();
        assert_eq!(d.to_check(), vec![1], "the idle path is checked");
        d.algorithm = Algorithm::RoundRobin;
        assert!(d.to_check().is_empty(), "round_robin: both paths carry I/O");
        d.algorithm = Algorithm::FailOver;
        assert_eq!(d.pick(), Some(0), "fail_over: the first configured");
        assert!(d.fail(0), "the path fails once");
        assert!(!d.fail(0));
        assert_eq!(d.pick(), Some(1));
        d.done(1, 1);
        assert_eq!(
            d.paths[1].counts,
            PathCounts {
                completed: 1,
                retried: 1,
                failed: 0
            }
        );
        assert!(d.fail(1));
        assert_eq!(d.pick(), None, "both VIOS down: the I/O waits");
        assert_eq!(d.to_check(), vec![0, 1]);
        assert!(d.recovered(1));
        assert!(!d.recovered(1));
        assert_eq!(d.pick(), Some(1));
        assert!(d.recovered(0));
        assert_eq!(d.pick(), Some(0), "back on the first path");
    }

    #[test]
    fn priority_and_round_robin_choose_the_path() {
        let mut d = disk();
        d.paths[0].priority = 2;
        assert_eq!(d.pick(), Some(1), "the lower priority value wins");
        d.algorithm = Algorithm::RoundRobin;
        let picks: Vec<_> = (0..4).map(|_| d.pick().unwrap()).collect();
        assert_eq!(picks, vec![0, 1, 0, 1]);
        d.paths[0].status = PathStatus::Disabled;
        assert_eq!(d.pick(), Some(1));
        assert_eq!(d.pick(), Some(1));
        assert!(
            d.to_check().is_empty(),
            "a disabled path is not checked, the one in use neither"
        );
        assert!(d.missing(1));
        assert_eq!(d.paths[1].status, PathStatus::Missing);
        assert_eq!(
            d.to_check(),
            vec![1],
            "a missing path comes back with its mapping"
        );
        d.define(1, false);
        assert_eq!(d.paths[1].status, PathStatus::Defined);
        assert!(d.to_check().is_empty());
        d.define(1, true);
        assert_eq!(d.pick(), Some(1));
    }
}
