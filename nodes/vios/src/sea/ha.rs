//! The SEA failover decision, as seed 002 describes it: of two SEAs
//! bridging the same VLANs, the one whose trunk adapters have the better
//! (lower) priority is PRIMARY and bridges, the other is BACKUP and waits;
//! `ha_mode=standby` gives way whatever the priority; `sharing` splits the
//! trunk adapters between them (PRIMARY_SH, BACKUP_SH); an SEA whose peer
//! falls silent for the detection time takes over everything. A pure
//! function of what the SEA knows, so that every rule is tested here.
//!
//! Never two bridging at once: an SEA that should take over from a peer
//! that still bridges waits until the peer's heartbeat says it has
//! stopped; the one that should give way stops at once. An SEA that cannot
//! reach the hypervisor at all bridges nothing (its trunk adapters are
//! there).

use pvmlab_common::proto::fsp::{HaMode, SeaState};

/// What an SEA knows of itself.
#[derive(Debug, Clone)]
pub struct Me {
    pub mode: HaMode,
    pub priority: u32,
    /// Its physical port reaches the network (seed 002's `netaddr` ping).
    pub link_up: bool,
    /// Its heartbeat reached the hypervisor within the detection time.
    pub hypervisor: bool,
    /// It has listened for its peer for the detection time since it
    /// started (an SEA that hears nobody takes over only then, so two
    /// SEAs starting together never both bridge).
    pub listened: bool,
    /// The VLANs of each of its trunk adapters, in order.
    pub trunks: Vec<Vec<u32>>,
}

/// The peer's last heartbeat, and whether it came within the detection time.
#[derive(Debug, Clone)]
pub struct Peer {
    pub mode: HaMode,
    pub state: SeaState,
    pub priority: u32,
    pub link_up: bool,
    pub fresh: bool,
}

/// The SEA's next state and the VLANs it bridges in it.
pub fn decide(me: &Me, peer: Option<&Peer>) -> (SeaState, Vec<u32>) {
    let all: Vec<u32> = me.trunks.iter().flatten().copied().collect();
    if me.mode == HaMode::HaDisabled {
        return (SeaState::SeaPrimary, all);
    }
    if !me.hypervisor {
        return (SeaState::SeaInit, Vec::new());
    }
    if !me.link_up {
        return (SeaState::SeaLimbo, Vec::new());
    }
    let alive = peer.filter(|p| p.fresh && p.link_up && p.state != SeaState::SeaLimbo);
    let Some(p) = alive else {
        if !me.listened {
            return (SeaState::SeaInit, Vec::new());
        }
        return (SeaState::SeaPrimary, all);
    };
    let wants = |m: HaMode| m != HaMode::HaStandby;
    let i_lead = match (wants(me.mode), wants(p.mode)) {
        (true, false) => true,
        (false, true) => false,
        _ => me.priority < p.priority,
    };
    let sharing =
        me.mode == HaMode::HaSharing && p.mode == HaMode::HaSharing && me.trunks.len() >= 2;
    let (first, second) = halves(&me.trunks);
    if i_lead {
        // Take over only once the peer has let go of what it bridged.
        match p.state {
            SeaState::SeaPrimary | SeaState::SeaPrimarySh => (SeaState::SeaBackup, Vec::new()),
            SeaState::SeaBackupSh if sharing => (SeaState::SeaPrimarySh, first),
            SeaState::SeaBackupSh => (SeaState::SeaBackup, Vec::new()),
            _ if sharing => (SeaState::SeaPrimarySh, first),
            _ => (SeaState::SeaPrimary, all),
        }
    } else if sharing && p.state == SeaState::SeaPrimarySh {
        (SeaState::SeaBackupSh, second)
    } else {
        (SeaState::SeaBackup, Vec::new())
    }
}

/// Load sharing's split: the first half of the trunk adapters stays with
/// the primary, the second goes to the backup (seed 002: VID 1 10 11 on
/// the primary, 2 12 13 on the backup).
fn halves(trunks: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
    let mid = trunks.len().div_ceil(2);
    (
        trunks[..mid].iter().flatten().copied().collect(),
        trunks[mid..].iter().flatten().copied().collect(),
    )
}

/// Whether a state bridges traffic (for the error log's BECOME entries).
pub fn is_primary(s: SeaState) -> bool {
    matches!(s, SeaState::SeaPrimary | SeaState::SeaPrimarySh)
}

pub fn is_backup(s: SeaState) -> bool {
    matches!(s, SeaState::SeaBackup | SeaState::SeaBackupSh)
}

/// `entstat`'s names.
pub fn state_name(s: SeaState) -> &'static str {
    match s {
        SeaState::SeaInit => "INIT",
        SeaState::SeaPrimary => "PRIMARY",
        SeaState::SeaBackup => "BACKUP",
        SeaState::SeaPrimarySh => "PRIMARY_SH",
        SeaState::SeaBackupSh => "BACKUP_SH",
        SeaState::SeaLimbo => "LIMBO",
    }
}

pub fn mode_name(m: HaMode) -> &'static str {
    match m {
        HaMode::HaDisabled => "Disabled",
        HaMode::HaAuto => "Auto",
        HaMode::HaStandby => "Standby",
        HaMode::HaSharing => "Sharing",
    }
}

/// The `ha_mode` attribute's value.
pub fn parse_mode(s: &str) -> Option<HaMode> {
    Some(match s {
        "disabled" => HaMode::HaDisabled,
        "auto" => HaMode::HaAuto,
        "standby" => HaMode::HaStandby,
        "sharing" => HaMode::HaSharing,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use SeaState::*;

    /// An SEA of two trunk adapters (seed 002's load sharing layout) and
    /// the state it is in.
    struct Sea {
        me: Me,
        state: SeaState,
        bridged: Vec<u32>,
    }

    fn sea(mode: HaMode, priority: u32, state: SeaState) -> Sea {
        let trunks = vec![vec![1, 10, 11], vec![2, 12, 13]];
        Sea {
            bridged: if state == SeaPrimary {
                trunks.concat()
            } else {
                Vec::new()
            },
            me: Me {
                mode,
                priority,
                link_up: true,
                hypervisor: true,
                listened: true,
                trunks,
            },
            state,
        }
    }

    fn peer(s: &Sea) -> Peer {
        Peer {
            mode: s.me.mode,
            state: s.state,
            priority: s.me.priority,
            link_up: s.me.link_up,
            fresh: true,
        }
    }

    fn beat(mode: HaMode, priority: u32, state: SeaState) -> Peer {
        peer(&sea(mode, priority, state))
    }

    /// Runs two SEAs against each other, a heartbeat at a time, until they
    /// settle, checking after every step that no VLAN is bridged by both.
    fn settle(a: &mut Sea, b: &mut Sea) {
        for _ in 0..10 {
            (a.state, a.bridged) = decide(&a.me, Some(&peer(b)));
            assert!(
                a.bridged.iter().all(|v| !b.bridged.contains(v)),
                "{:?} {:?}",
                a.bridged,
                b.bridged
            );
            (b.state, b.bridged) = decide(&b.me, Some(&peer(a)));
            assert!(
                a.bridged.iter().all(|v| !b.bridged.contains(v)),
                "{:?} {:?}",
                a.bridged,
                b.bridged
            );
        }
    }

    #[test]
    fn the_better_priority_bridges_and_the_other_waits() {
        let mut a = sea(HaMode::HaAuto, 1, SeaInit);
        let mut b = sea(HaMode::HaAuto, 2, SeaInit);
        settle(&mut a, &mut b);
        assert_eq!((a.state, b.state), (SeaPrimary, SeaBackup));
        assert_eq!(decide(&a.me, Some(&peer(&b))).1, vec![1, 10, 11, 2, 12, 13]);
    }

    #[test]
    fn a_silent_peer_is_taken_over_and_a_returning_one_fails_back() {
        let b = sea(HaMode::HaAuto, 2, SeaBackup);
        let mut dead = beat(HaMode::HaAuto, 1, SeaPrimary);
        dead.fresh = false;
        assert_eq!(decide(&b.me, Some(&dead)).0, SeaPrimary);
        assert_eq!(decide(&b.me, None).0, SeaPrimary);
        // The primary's VIOS comes back: it waits until b lets go.
        let mut a = sea(HaMode::HaAuto, 1, SeaInit);
        let mut b = sea(HaMode::HaAuto, 2, SeaPrimary);
        assert_eq!(decide(&a.me, Some(&peer(&b))), (SeaBackup, vec![]));
        settle(&mut a, &mut b);
        assert_eq!((a.state, b.state), (SeaPrimary, SeaBackup));
    }

    #[test]
    fn standby_gives_way_whatever_its_priority() {
        let mut a = sea(HaMode::HaStandby, 1, SeaPrimary);
        let mut b = sea(HaMode::HaAuto, 2, SeaBackup);
        settle(&mut a, &mut b);
        assert_eq!((a.state, b.state), (SeaBackup, SeaPrimary));
        // Back to auto: it fails back.
        a.me.mode = HaMode::HaAuto;
        settle(&mut a, &mut b);
        assert_eq!((a.state, b.state), (SeaPrimary, SeaBackup));
        // A standby SEA alone still bridges.
        assert_eq!(
            decide(&sea(HaMode::HaStandby, 1, SeaBackup).me, None).0,
            SeaPrimary
        );
    }

    #[test]
    fn sharing_splits_the_trunks_as_seed_002_shows() {
        let mut a = sea(HaMode::HaSharing, 1, SeaInit);
        let mut b = sea(HaMode::HaSharing, 2, SeaInit);
        settle(&mut a, &mut b);
        assert_eq!((a.state, b.state), (SeaPrimarySh, SeaBackupSh));
        assert_eq!(decide(&a.me, Some(&peer(&b))).1, vec![1, 10, 11]);
        assert_eq!(decide(&b.me, Some(&peer(&a))).1, vec![2, 12, 13]);
        // The primary's VIOS shuts down: the backup bridges all.
        assert_eq!(
            decide(&b.me, None),
            (SeaPrimary, vec![1, 10, 11, 2, 12, 13])
        );
        // It comes back: PRIMARY_SH and BACKUP_SH again.
        let mut a = sea(HaMode::HaSharing, 1, SeaInit);
        b = sea(HaMode::HaSharing, 2, SeaPrimary);
        settle(&mut a, &mut b);
        assert_eq!((a.state, b.state), (SeaPrimarySh, SeaBackupSh));
        // One trunk adapter: no sharing.
        let mut one = sea(HaMode::HaSharing, 1, SeaInit);
        one.me.trunks.truncate(1);
        let mut two = sea(HaMode::HaSharing, 2, SeaInit);
        two.me.trunks.truncate(1);
        settle(&mut one, &mut two);
        assert_eq!((one.state, two.state), (SeaPrimary, SeaBackup));
    }

    #[test]
    fn a_pulled_cable_or_a_lost_hypervisor_stops_bridging() {
        let mut a = sea(HaMode::HaAuto, 1, SeaPrimary);
        a.me.link_up = false;
        assert_eq!(decide(&a.me, None), (SeaLimbo, vec![]));
        // Its peer sees it in LIMBO and takes over.
        let b = sea(HaMode::HaAuto, 2, SeaBackup);
        assert_eq!(
            decide(&b.me, Some(&beat(HaMode::HaAuto, 1, SeaLimbo))).0,
            SeaPrimary
        );
        let mut c = sea(HaMode::HaAuto, 1, SeaPrimary);
        c.me.hypervisor = false;
        assert_eq!(decide(&c.me, None), (SeaInit, vec![]));
        let mut new = sea(HaMode::HaAuto, 1, SeaInit);
        new.me.listened = false;
        assert_eq!(decide(&new.me, None), (SeaInit, vec![]), "it listens first");
        let mut off = sea(HaMode::HaDisabled, 1, SeaInit);
        off.me.hypervisor = false;
        assert_eq!(
            decide(&off.me, None).0,
            SeaPrimary,
            "no failover: it always bridges"
        );
    }
}
