//! The lab's processes as a topology names them: one node per FSP, VIOS and
//! HMC, each at its own address, and where to find them by name.

use super::schema::{FrameDef, HmcDef, Topology};
use toml::Spanned;

impl Topology {
    pub fn hmc(&self, name: &str) -> Option<&HmcDef> {
        self.hmc.iter().find(|h| h.name.get_ref() == name)
    }

    pub fn frame(&self, name: &str) -> Option<&FrameDef> {
        self.frame.iter().find(|f| f.name.get_ref() == name)
    }

    /// The SAN's address: its table's, else `.5` of the first HMC's (or
    /// frame's) /24.
    pub fn san_address(&self) -> String {
        if let Some(s) = &self.san {
            return s.address.get_ref().clone();
        }
        let first = self
            .hmc
            .first()
            .map(|h| h.address.get_ref())
            .or_else(|| self.frame.first().map(|f| f.address.get_ref()));
        match first.and_then(|a| a.rsplit_once('.')) {
            Some((prefix, _)) => format!("{prefix}.5"),
            None => "127.0.0.5".into(),
        }
    }

    /// Every node of the lab, in start order: the SAN first (the VIOS
    /// reach their disks on it), FSPs (they own the truth), then VIOS,
    /// then the HMCs that connect to both.
    pub fn nodes(&self) -> Vec<NodeDef> {
        let mut out = vec![NodeDef {
            name: SAN_NODE.into(),
            role: crate::model::Role::San,
            address: self.san_address(),
            port: self.lab.grpc_port,
        }];
        for f in &self.frame {
            out.push(NodeDef {
                name: f.name.get_ref().clone(),
                role: crate::model::Role::Fsp,
                address: f.address.get_ref().clone(),
                port: self.lab.grpc_port,
            });
        }
        for f in &self.frame {
            for v in &f.vios {
                out.push(NodeDef {
                    name: vios_node_name(f.name.get_ref(), v.name.get_ref()),
                    role: crate::model::Role::Vios,
                    address: v.address.get_ref().clone(),
                    port: self.lab.grpc_port,
                });
            }
        }
        for h in &self.hmc {
            out.push(NodeDef {
                name: h.name.get_ref().clone(),
                role: crate::model::Role::Hmc,
                address: h.address.get_ref().clone(),
                port: self.lab.grpc_port,
            });
        }
        out
    }

    pub fn node(&self, name: &str) -> Option<NodeDef> {
        self.nodes().into_iter().find(|n| n.name == name)
    }

    /// Moves every address to another /24 of loopback (`127.a.b`), so that
    /// several labs, and tests, run side by side.
    pub fn relocate(&mut self, prefix: &str) {
        let move_addr = |a: &mut Spanned<String>| {
            let last = a.get_ref().rsplit('.').next().unwrap_or("1").to_string();
            *a = Spanned::new(a.span(), format!("{prefix}.{last}"));
        };
        for h in &mut self.hmc {
            move_addr(&mut h.address);
        }
        if let Some(s) = &mut self.san {
            move_addr(&mut s.address);
        }
        for f in &mut self.frame {
            move_addr(&mut f.address);
            for v in &mut f.vios {
                move_addr(&mut v.address);
            }
        }
    }
}

/// The SAN's node name: one SAN per lab.
pub const SAN_NODE: &str = "san";

/// Node name of a VIOS: VIOS names repeat from frame to frame, so the node
/// carries its frame's name too.
pub fn vios_node_name(frame: &str, vios: &str) -> String {
    format!("{frame}-{vios}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDef {
    pub name: String,
    pub role: crate::model::Role,
    pub address: String,
    pub port: u16,
}

impl NodeDef {
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.address, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use crate::topology::DEFAULT_LAB;

    #[test]
    fn nodes_start_san_then_fsps_first_and_hmcs_last() {
        let t = Topology::parse("default", DEFAULT_LAB).unwrap();
        let roles: Vec<Role> = t.nodes().iter().map(|n| n.role).collect();
        let first_vios = roles.iter().position(|r| *r == Role::Vios).unwrap();
        let first_hmc = roles.iter().position(|r| *r == Role::Hmc).unwrap();
        assert_eq!(roles[0], Role::San);
        assert!(roles[1..first_vios].iter().all(|r| *r == Role::Fsp));
        assert!(
            roles[first_vios..first_hmc]
                .iter()
                .all(|r| *r == Role::Vios)
        );
        assert!(roles[first_hmc..].iter().all(|r| *r == Role::Hmc));
        assert_eq!(roles.len(), 1 + t.frame.len() * 3 + t.hmc.len());
    }

    #[test]
    fn a_vios_node_carries_its_frames_name() {
        assert_eq!(vios_node_name("sys1", "vios1"), "sys1-vios1");
        let t = Topology::parse("default", DEFAULT_LAB).unwrap();
        let f = &t.frame[0];
        let v = &f.vios[0];
        let name = vios_node_name(f.name.get_ref(), v.name.get_ref());
        let n = t.node(&name).expect("the VIOS is a node");
        assert_eq!(n.role, Role::Vios);
        assert_eq!(
            n.endpoint(),
            format!("{}:{}", v.address.get_ref(), t.lab.grpc_port)
        );
        assert!(t.hmc(t.hmc[0].name.get_ref()).is_some() && t.frame("nothing").is_none());
    }

    #[test]
    fn relocate_keeps_each_last_number() {
        let mut t = Topology::parse("default", DEFAULT_LAB).unwrap();
        let before: Vec<String> = t.nodes().into_iter().map(|n| n.address).collect();
        t.relocate("127.9.9");
        for (old, new) in before.iter().zip(t.nodes()) {
            assert!(new.address.starts_with("127.9.9."), "{}", new.address);
            assert_eq!(old.rsplit('.').next(), new.address.rsplit('.').next());
        }
    }
}
