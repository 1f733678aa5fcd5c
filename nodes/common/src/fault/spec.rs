//! A fault as the registry holds it: a name, the peer at the other end of
//! the link, a direction and a kind; its wire form and the checks that do
//! not depend on the kind. The kind's own checks are its file's.

use super::kind::Settings;
use super::{Kind, MAX_FAULTS, MAX_LATENCY};
use crate::lab::CONTROLLER_NODE;
use crate::proto::chaos as pb;
use std::fmt;

/// The peer that matches every node except the controller: a fault on the
/// controller's own link would take away the way to remove it.
pub const ANY_PEER: &str = "*";

/// Which bytes of a link a fault applies to, seen from the node holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Bytes this node sends.
    Up,
    /// Bytes this node receives.
    Down,
    Both,
}

impl Direction {
    /// `up`, `down`, `both` (also Toxiproxy's `upstream`/`downstream`); empty means both.
    pub fn parse(s: &str) -> Result<Direction, FaultError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "both" => Ok(Direction::Both),
            "up" | "upstream" => Ok(Direction::Up),
            "down" | "downstream" => Ok(Direction::Down),
            _ => Err(FaultError::Direction(s.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Both => "both",
        }
    }

    /// The same bytes seen from the other end of the link.
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Up => Direction::Down,
            Direction::Down => Direction::Up,
            Direction::Both => Direction::Both,
        }
    }

    pub(super) fn has_up(self) -> bool {
        self != Direction::Down
    }

    pub(super) fn has_down(self) -> bool {
        self != Direction::Up
    }

    fn from_wire(d: i32) -> Result<Direction, FaultError> {
        match pb::Direction::try_from(d) {
            Ok(pb::Direction::Both) => Ok(Direction::Both),
            Ok(pb::Direction::Up) => Ok(Direction::Up),
            Ok(pb::Direction::Down) => Ok(Direction::Down),
            Err(_) => Err(FaultError::Direction(d.to_string())),
        }
    }

    fn to_wire(self) -> pb::Direction {
        match self {
            Direction::Up => pb::Direction::Up,
            Direction::Down => pb::Direction::Down,
            Direction::Both => pb::Direction::Both,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One fault on the links between this node and `peer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Unique on the node; empty when adding means `<kind>_<direction>_<peer>`.
    pub name: String,
    /// A node name, or [`ANY_PEER`].
    pub peer: String,
    pub direction: Direction,
    pub kind: Kind,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.name, self.kind.name())?;
        let detail = self.kind.detail();
        if !detail.is_empty() {
            write!(f, "{detail} ")?;
        }
        write!(f, "{} peer {}", self.direction, self.peer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error(
        "unknown fault kind {0:?}; use bandwidth, cut, latency, timeout, reset_peer, limit_data, slow_close or slicer"
    )]
    Kind(String),
    #[error(
        "a fault needs a kind: bandwidth, cut, latency, timeout, reset_peer, limit_data, slow_close or slicer"
    )]
    NoKind,
    #[error("unknown direction {0:?}; use up, down or both")]
    Direction(String),
    #[error("a bandwidth fault needs a rate above zero bytes per second")]
    ZeroRate,
    #[error(
        "bad rate {0:?}; give bytes per second, or a number with a unit such as 1gbit, 100mbit, 125mb, 64kib"
    )]
    Rate(String),
    #[error("a latency fault needs a latency or a jitter above zero")]
    ZeroLatency,
    #[error("a limit_data fault needs a limit above zero bytes")]
    ZeroLimit,
    #[error("a slicer fault needs an average size above zero bytes")]
    ZeroSlice,
    #[error("a slow_close fault needs a delay above zero")]
    ZeroDelay,
    #[error("latencies, timeouts and delays are at most {} ms", MAX_LATENCY.as_millis())]
    LatencyTooLarge,
    #[error("{field} does not apply to a {kind} fault")]
    NotApplicable {
        field: &'static str,
        kind: &'static str,
    },
    #[error("bad peer {0:?}; give a node name or \"*\" for every peer")]
    Peer(String),
    #[error("the controller's own link cannot take a fault: it would lose the way to remove it")]
    ControllerLink,
    #[error("{0} is this node; a fault needs the node at the other end of the link")]
    SelfLink(String),
    #[error("bad fault name {0:?}; use 1 to 64 letters, digits, '.', '_' or '-'")]
    Name(String),
    #[error("a fault named {0} exists already; remove it first or pick another name")]
    Exists(String),
    #[error("no fault named {0} on this node")]
    NotFound(String),
    #[error("this node has {MAX_FAULTS} faults already; remove some first")]
    TooMany,
}

impl From<FaultError> for tonic::Status {
    fn from(e: FaultError) -> tonic::Status {
        match e {
            FaultError::Exists(_) => tonic::Status::already_exists(e.to_string()),
            FaultError::NotFound(_) => tonic::Status::not_found(e.to_string()),
            FaultError::TooMany => tonic::Status::resource_exhausted(e.to_string()),
            _ => tonic::Status::invalid_argument(e.to_string()),
        }
    }
}

pub(super) fn valid_word(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Fault {
    /// A fault as people give it: the kind by name, its settings loose, so
    /// a setting that belongs to another kind is pointed out, not ignored.
    pub fn from_settings(
        name: &str,
        peer: &str,
        direction: &str,
        kind: &str,
        settings: &Settings,
    ) -> Result<Fault, FaultError> {
        let kind = Kind::from_settings(kind, settings)?;
        Ok(Fault {
            name: name.trim().to_string(),
            peer: peer.trim().to_string(),
            direction: Direction::parse(direction)?,
            kind,
        })
    }

    /// Reads a fault off the wire.
    pub fn from_proto(p: &pb::Fault) -> Result<Fault, FaultError> {
        let kind = p.kind.as_ref().ok_or(FaultError::NoKind)?;
        Ok(Fault {
            name: p.name.trim().to_string(),
            peer: p.peer.trim().to_string(),
            direction: Direction::from_wire(p.direction)?,
            kind: Kind::from_wire(kind),
        })
    }

    pub fn to_proto(&self) -> pb::Fault {
        pb::Fault {
            name: self.name.clone(),
            peer: self.peer.clone(),
            direction: self.direction.to_wire().into(),
            kind: Some(self.kind.to_wire()),
        }
    }

    /// The name a fault gets when none is given, like Toxiproxy's `<type>_<stream>`.
    pub fn default_name(&self) -> String {
        let peer = if self.peer == ANY_PEER {
            "any"
        } else {
            &self.peer
        };
        format!("{}_{}_{}", self.kind.name(), self.direction, peer)
    }

    /// Checks everything that does not depend on the other faults.
    /// `local` is this node's name (empty if unknown).
    pub fn validate(&self, local: &str) -> Result<(), FaultError> {
        if self.peer != ANY_PEER && !valid_word(&self.peer) {
            return Err(FaultError::Peer(self.peer.clone()));
        }
        if self.peer == CONTROLLER_NODE {
            return Err(FaultError::ControllerLink);
        }
        if !local.is_empty() && self.peer == local {
            return Err(FaultError::SelfLink(self.peer.clone()));
        }
        if !self.name.is_empty() && !valid_word(&self.name) {
            return Err(FaultError::Name(self.name.clone()));
        }
        self.kind.validate()
    }

    pub(super) fn matches(&self, peer: &str) -> bool {
        self.peer == peer || (self.peer == ANY_PEER && peer != CONTROLLER_NODE)
    }
}
