//! Chaos scenario files (TOML): a list of steps, or a random mix of them
//! drawn from a seed. The same seed always gives the same schedule: the
//! schedule is drawn before the run and depends on nothing the run sees.

use rand::{Rng, SeedableRng};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The HMC that runs the commands, unless a step names another.
    #[serde(default = "hmc1")]
    pub hmc: String,
    #[serde(default)]
    pub step: Vec<Step>,
    pub random: Option<Random>,
}

fn hmc1() -> String {
    "hmc1".into()
}

fn both() -> String {
    "both".into()
}

fn uniform() -> String {
    "uniform".into()
}

fn yes() -> bool {
    true
}

/// One step. `action` names it in the file: `action = "migrate"`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    /// The partition's workload: MB/s written over a working set of MB,
    /// disk I/Os a second through its VIOS, packets a second through the
    /// SEA that bridges its VLAN.
    Workload {
        lpar: String,
        rate: f64,
        working_set: u64,
        #[serde(default = "uniform")]
        pattern: String,
        #[serde(default)]
        disk_iops: f64,
        #[serde(default)]
        packets: f64,
    },
    /// An HMC command line as an operator types it (on the scenario's HMC
    /// unless `hmc` names another), e.g. `viosvrcmd … -c "chdev -dev ent5
    /// -attr ha_mode=standby"` for VIOS maintenance; the step fails unless
    /// it exits 0.
    Hmc {
        line: String,
        hmc: Option<String>,
    },
    /// migrlpar -o m from wherever the partition is now to `to` ("*": the
    /// first of the random mix's frames it is not on); with `background`
    /// the next steps run while it copies.
    Migrate {
        lpar: String,
        to: String,
        hmc: Option<String>,
        #[serde(default)]
        background: bool,
    },
    Wait {
        ms: u64,
    },
    /// Until every MPIO path of every running client partition of `frame`
    /// is Enabled again (as an administrator checks `lspath` before taking
    /// the other VIOS down), for at most `ms`; the step fails after that.
    WaitPaths {
        frame: String,
        ms: u64,
    },
    /// Until every background migration has ended.
    WaitMigrations,
    /// A link fault, at both ends unless `link = false`; the settings are
    /// those of `pvmlab fault add`.
    Fault {
        node: String,
        peer: String,
        kind: String,
        #[serde(default)]
        rate: Option<String>,
        #[serde(default)]
        latency: Option<u32>,
        #[serde(default)]
        jitter: Option<u32>,
        #[serde(default)]
        timeout: Option<u32>,
        #[serde(default = "both")]
        direction: String,
        #[serde(default = "yes")]
        link: bool,
    },
    /// A process fault: kill, pause, resume or restart.
    Node {
        node: String,
        fault: String,
    },
    /// A frame fault: power-off, error, dump, lose or restore.
    Frame {
        frame: String,
        fault: String,
    },
    /// Every link fault cleared, paused nodes resumed, killed ones and
    /// lost frames back.
    Heal,
    /// migrlpar -o r for one partition (waiting out a dead HMC's lease).
    Recover {
        lpar: String,
        hmc: Option<String>,
    },
    /// Every unfinished migration recovered and every restarted
    /// partition's stale copy cleaned up.
    RecoverAll,
    /// Remote restart of every capable partition of a lost frame.
    Evacuate {
        frame: String,
    },
    /// The partition is on `frame` (if given) in `state` (if given).
    Assert {
        lpar: String,
        frame: Option<String>,
        state: Option<String>,
    },
}

/// A random mix: `steps` steps over these partitions, frames and HMCs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Random {
    pub steps: usize,
    pub lpars: Vec<String>,
    pub frames: Vec<String>,
    /// MSP links that may be faulted, as [node, peer] pairs.
    #[serde(default)]
    pub links: Vec<[String; 2]>,
    #[serde(default)]
    pub hmcs: Vec<String>,
    /// Longest pause between steps, in ms.
    #[serde(default = "max_wait")]
    pub max_wait_ms: u64,
}

fn max_wait() -> u64 {
    1500
}

impl Scenario {
    /// The steps to run: the file's, then the random mix drawn from `seed`.
    pub fn schedule(&self, seed: u64) -> Vec<Step> {
        let mut out = self.step.clone();
        if let Some(r) = &self.random {
            out.extend(r.draw(seed, &self.hmc));
        }
        out
    }
}

impl Random {
    fn draw(&self, seed: u64, hmc: &str) -> Vec<Step> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        // Faults in place, healed some steps later.
        let mut heal_at: Option<usize> = None;
        for i in 0..self.steps {
            if heal_at == Some(i) {
                out.push(Step::Heal);
                out.push(Step::RecoverAll);
                heal_at = None;
            }
            let pick = rng.random_range(0..100u32);
            if pick < 45 && !self.lpars.is_empty() && self.frames.len() > 1 {
                let lpar = self.lpars[rng.random_range(0..self.lpars.len())].clone();
                // "*": to another of the frames, whichever it is on then.
                out.push(Step::Migrate {
                    lpar,
                    to: "*".into(),
                    hmc: None,
                    background: true,
                });
            } else if pick < 65 && !self.links.is_empty() && heal_at.is_none() {
                let [node, peer] = self.links[rng.random_range(0..self.links.len())].clone();
                let (kind, rate, latency, timeout) = match rng.random_range(0..4u32) {
                    0 => ("cut", None, None, None),
                    1 => ("latency", None, Some(rng.random_range(5..80)), None),
                    2 => ("bandwidth", Some("160mbit".to_string()), None, None),
                    _ => ("timeout", None, None, Some(rng.random_range(500..3000))),
                };
                out.push(Step::Fault {
                    node,
                    peer,
                    kind: kind.into(),
                    rate,
                    latency,
                    jitter: None,
                    timeout,
                    direction: both(),
                    link: true,
                });
                heal_at = Some(i + rng.random_range(1..4));
            } else if pick < 72 && !self.hmcs.is_empty() && heal_at.is_none() {
                let h = self.hmcs[rng.random_range(0..self.hmcs.len())].clone();
                // Never the HMC that runs the scenario's commands.
                if h != hmc {
                    out.push(Step::Node {
                        node: h,
                        fault: "kill".into(),
                    });
                    heal_at = Some(i + rng.random_range(1..4));
                }
            } else {
                out.push(Step::Wait {
                    ms: rng.random_range(100..=self.max_wait_ms.max(100)),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = r#"
name = "soak"
[random]
steps = 40
lpars = ["a", "b"]
frames = ["sys1", "sys2"]
links = [["sys1-vios1", "sys2-vios1"]]
hmcs = ["hmc2"]
"#;

    #[test]
    fn the_same_seed_gives_the_same_schedule() {
        let s: Scenario = toml::from_str(RANDOM).unwrap();
        let a = serde_json::to_string(&s.schedule(7)).unwrap();
        assert_eq!(a, serde_json::to_string(&s.schedule(7)).unwrap());
        assert_ne!(a, serde_json::to_string(&s.schedule(8)).unwrap());
    }

    #[test]
    fn steps_read_from_toml() {
        let s: Scenario = toml::from_str(
            r#"
name = "x"
[[step]]
action = "migrate"
lpar = "aix72a"
to = "sys3"
background = true
[[step]]
action = "wait_migrations"
[[step]]
action = "fault"
node = "sys2-vios1"
peer = "sys3-vios1"
kind = "cut"
"#,
        )
        .unwrap();
        assert_eq!(s.step.len(), 3);
        assert!(toml::from_str::<Scenario>("name = \"x\"\n[[step]]\naction = \"warp\"\n").is_err());
    }
}
