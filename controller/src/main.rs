//! pvmlab: the operator of a lab. It writes topologies, makes the lab's
//! certificates, starts and stops the node processes, and shows the lab
//! as the HMCs see it.

mod bench;
mod bench_lpm;
mod bench_rr;
mod bench_scale;
mod bench_soak;
mod bench_vios;
mod certs;
mod chaos;
mod client;
mod compose;
mod evacuate;
mod fault;
mod frame_fault;
mod launcher;
mod migrate;
mod node_fault;
mod ready;
mod status;
mod toxiproxy;

use clap::{Parser, Subcommand};
use pvmlab_common::lab::LabDir;
use pvmlab_common::topology::{DEFAULT_LAB, Topology};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "pvmlab",
    version,
    about = "An emulated IBM PowerVM data center"
)]
struct Cli {
    /// The lab directory: topology, certificates, data, logs and pids.
    #[arg(long, global = true, env = "PVMLAB_LAB", default_value = ".pvmlab")]
    lab: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum ComposeCmd {
    /// Write the compose file (and the topology it runs, its addresses
    /// moved into the compose network) for a topology.
    Generate {
        /// By default the built-in default lab.
        #[arg(long)]
        topology: Option<PathBuf>,
        #[arg(long, default_value = "docker")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ChaosCmd {
    /// Run a scenario file (TOML) against the running lab; exit 1 if an
    /// invariant broke.
    ///
    /// pvmlab chaos run controller/scenarios/msp-cable-pull.toml --seed 7
    Run {
        file: PathBuf,
        /// The random mix's seed: the same seed, the same schedule.
        #[arg(long)]
        seed: Option<u64>,
        /// Draw this many random steps instead of the file's count.
        #[arg(long)]
        steps: Option<usize>,
        /// Take no more steps after this many minutes (then heal, recover
        /// and check as always).
        #[arg(long)]
        minutes: Option<f64>,
        /// Where the JSON report goes; by default <lab>/chaos-report.json.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the built-in default lab, or with --frames a generated site of
    /// any size, to a topology file to edit.
    Init {
        /// Where to write it.
        #[arg(default_value = "pvmlab.toml")]
        file: PathBuf,
        /// Put the lab on another loopback /24 (127.43.0) or /16 (127.43).
        #[arg(long)]
        subnet: Option<String>,
        /// Overwrite the file if it exists.
        #[arg(long)]
        force: bool,
        /// Generate a site of this many frames instead of the default lab.
        #[arg(long)]
        frames: Option<usize>,
        /// Client partitions in all (by default 40 a frame).
        #[arg(long, requires = "frames")]
        lpars: Option<usize>,
        /// HMCs, in redundant pairs each managing a share of the frames.
        #[arg(long, default_value_t = 2, requires = "frames")]
        hmcs: usize,
        #[arg(long, default_value_t = 2, requires = "frames")]
        vios_per_frame: usize,
        /// The same seed gives the same site.
        #[arg(long, default_value_t = 1, requires = "frames")]
        seed: u64,
        /// No workloads: the lab costs nothing while nobody acts on it.
        #[arg(long, requires = "frames")]
        idle: bool,
    },
    /// Make the lab directory without starting anything: the topology, the
    /// lab CA and a certificate per node (the compose lab's one-shot step).
    Prepare {
        #[arg(long)]
        topology: Option<PathBuf>,
    },
    /// The docker-compose lab.
    Compose {
        #[command(subcommand)]
        cmd: ComposeCmd,
    },
    /// Bring the lab up (only the nodes not already running), wait until
    /// every frame and VIOS is ready, and print a summary.
    Up {
        /// The topology; by default the lab's current one, else the built-in lab.
        #[arg(long)]
        topology: Option<PathBuf>,
        /// Return once the lab is up and leave it running.
        #[arg(long)]
        detach: bool,
        /// How long to wait for the lab to be ready, in seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Show every node, frame and partition with its state as each HMC sees it.
    Status,
    /// Exit 0 if the node (by default every node) is ready, 1 if not: the
    /// compose lab's health check.
    Ready {
        #[arg(long)]
        node: Option<String>,
    },
    /// Stop every node of the lab. Its state stays in the lab directory.
    Down,
    /// Benchmarks that print their figures and a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
    /// Show or change the workload inside a running client partition: how
    /// fast it dirties memory, over how much, in which pattern.
    Workload {
        /// The frame.
        frame: String,
        /// The partition.
        lpar: String,
        /// MB of memory dirtied per second.
        #[arg(long)]
        rate: Option<f64>,
        /// MB of memory the workload writes over (0: all of it).
        #[arg(long)]
        working_set: Option<u64>,
        /// uniform, hotspot or sequential.
        #[arg(long)]
        pattern: Option<String>,
        /// Also print the digest of the partition's memory.
        #[arg(long)]
        digest: bool,
        /// The partition's operating system refuses migrations in this
        /// phase: check, prepare, or none.
        #[arg(long, value_parser = ["check", "prepare", "none"])]
        refuse_migration: Option<String>,
        /// How long the partition's migration scripts take in each phase
        /// (check, prepare, post), ms; `migrlpar -w` bounds them.
        #[arg(long)]
        script_ms: Option<u64>,
        /// Disk I/Os per second through the partition's VIOS to the SAN
        /// (a write, then a read that checks it; 0: none).
        #[arg(long)]
        disk_iops: Option<f64>,
        /// Packets per second to a host outside the frame, through the
        /// SEA that bridges the partition's VLAN (0: none).
        #[arg(long)]
        packets: Option<f64>,
    },
    /// Run a command inside a client partition, as its administrator
    /// logged in to it would: lspath, chpath, mkpath, rmpath, lsdev -Cc
    /// disk, lsattr -El hdiskN, chdev -l hdiskN -a algorithm=…, entstat
    /// [-d] entN, errpt.
    Os {
        /// The frame.
        frame: String,
        /// The partition.
        lpar: String,
        /// The command line (after `--`).
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Faults on the links between nodes (bandwidth, cut, latency, timeout,
    /// reset_peer, limit_data, slow_close, slicer), applied by each node's
    /// fault layer to connections open and new; process and frame faults.
    Fault {
        #[command(subcommand)]
        cmd: fault::FaultCmd,
    },
    /// Chaos scenarios: steps or a seeded random mix of migrations and
    /// faults, always healed at the end, with the lab's invariants checked.
    Chaos {
        #[command(subcommand)]
        cmd: ChaosCmd,
    },
    /// Serve Toxiproxy's HTTP API over the lab's links, for
    /// toxiproxy-python, chaostoolkit-toxiproxy and toxiproxy-cli.
    Toxiproxy {
        #[arg(long, default_value = "127.0.0.1:8474")]
        listen: String,
    },
    /// Migrate a partition through an HMC (migrlpar -o m) with a progress
    /// bar, then print the migration's statistics.
    Migrate {
        /// The source frame.
        src: String,
        /// The partition.
        lpar: String,
        /// The destination frame.
        dst: String,
        /// The HMC that runs it.
        #[arg(long, default_value = "hmc1")]
        hmc: String,
    },
    /// The error log (errpt) of a client partition's operating system:
    /// the migration events it logged (Client Partition Migration Started,
    /// Completed, Aborted).
    Errpt { frame: String, lpar: String },
    /// Restart every remote restart capable partition of a frame that is
    /// down on the other frames (rrstartlpar through an HMC), with a
    /// report per partition.
    Evacuate {
        /// The frame that is down.
        frame: String,
        /// The HMC that runs the restarts.
        #[arg(long, default_value = "hmc1")]
        hmc: String,
    },
    /// Run an HMC command line on an HMC, as over SSH:
    /// `pvmlab hmc hmc1 -- lssyscfg -r sys -F name,state`
    Hmc {
        /// The HMC's name in the topology.
        name: String,
        /// The HMC user to run as.
        #[arg(long, short = 'u', default_value = "hscroot")]
        user: String,
        /// The command line: one argument is taken as it is; several are
        /// quoted as needed and joined.
        #[arg(last = true, required = true)]
        line: Vec<String>,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// SSH exec round trip of `lssyscfg -r lpar` with 100 partitions, and of
    /// `true` against this machine's OpenSSH server.
    Ssh {
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Active migrations of 1, 4 and 16 GiB partitions at dirty rates of 0,
    /// 20 and 100 MB/s, and one raw rustls stream as the baseline.
    Lpm {
        /// Partition sizes, GiB.
        #[arg(long, value_delimiter = ',', default_values_t = [1u64, 4, 16])]
        sizes: Vec<u64>,
        /// Workload dirty rates, MB/s.
        #[arg(long, value_delimiter = ',', default_values_t = [0.0f64, 20.0, 100.0])]
        rates: Vec<f64>,
        /// Migrations of each size and rate.
        #[arg(long, default_value_t = 1)]
        runs: usize,
        /// Then 4 GiB migrations over the MSP link shaped to this rate
        /// (e.g. 1gbit; "none" to skip).
        #[arg(long, default_value = "1gbit")]
        shape: String,
    },
    /// The time from the loss of a frame with eight remote restart capable
    /// partitions to all eight Running elsewhere through `pvmlab evacuate`,
    /// and the same restarts one after the other as the baseline.
    Rr {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// A VIOS failure as its clients live it: from killing sys1's primary
    /// VIOS to the backup SEA bridging and to every client disk's I/O on
    /// its other path, the longest stall in a client and the I/Os lost,
    /// beside the configured detection time; and the I/O path's
    /// throughput against a raw mTLS stream.
    Vios {
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// The SEAs' failure detection time for this lab, ms (heartbeats
        /// every quarter of it).
        #[arg(long, default_value_t = 500)]
        detect_ms: u64,
        /// The clients' MPIO health check interval for this lab, ms.
        #[arg(long, default_value_t = 1000)]
        hcheck_ms: u64,
    },
    /// A generated idle site against the default lab, in the same run: time
    /// to ready, idle CPU, resident memory by node kind, lssyscfg over SSH
    /// on the biggest frame, the REST partition feed, status, a migration.
    Scale {
        #[arg(long, default_value_t = 64)]
        frames: usize,
        #[arg(long, default_value_t = 10_000)]
        lpars: usize,
        /// How long the idle CPU is measured, seconds.
        #[arg(long, default_value_t = 30)]
        idle_secs: u64,
        /// How long each lab may take to be ready, seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// The random soak (controller/scenarios/random-soak.toml) for this
    /// many minutes on a lab of its own: the counts of migrations, faults,
    /// recoveries and invariant violations.
    Soak {
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// The node this binary runs as when it is called by a node's name (a link
/// to it, as in the image), or none: the controller.
fn node_main() -> Option<fn() -> ExitCode> {
    let argv0 = std::env::args_os().next()?;
    let name = std::path::Path::new(&argv0)
        .file_name()?
        .to_str()?
        .to_string();
    match name.as_str() {
        "pvm-hmc" => Some(pvm_hmc::main),
        "pvm-fsp" => Some(pvm_fsp::main),
        "pvm-vios" => Some(pvm_vios::main),
        "pvm-san" => Some(pvm_san::main),
        _ => None,
    }
}

fn main() -> ExitCode {
    if let Some(node) = node_main() {
        return node();
    }
    // Printing into a closed pipe (`pvmlab status | head`) ends quietly, as
    // other command-line tools do, instead of panicking.
    // SAFETY: set before any thread starts; the default action is always valid.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    let cli = Cli::parse();
    let lab = LabDir::new(cli.lab.clone());
    let result = match cli.cmd {
        Cmd::Init {
            file,
            subnet,
            force,
            frames,
            lpars,
            hmcs,
            vios_per_frame,
            seed,
            idle,
        } => init(
            &file,
            subnet.as_deref(),
            force,
            frames.map(|frames| pvmlab_common::labs::site::SiteSpec {
                frames,
                lpars: lpars.unwrap_or(frames * 40),
                hmcs,
                vios_per_frame,
                seed,
                idle,
                subnet: subnet.clone().unwrap_or_else(|| "127.42".into()),
            }),
        ),
        Cmd::Up {
            topology,
            detach,
            timeout,
        } => {
            let telemetry = pvmlab_common::telemetry::init("pvmlab");
            let r = launcher::up(&lab, topology.as_deref(), detach, timeout);
            telemetry.shutdown();
            r
        }
        Cmd::Status => {
            let telemetry = pvmlab_common::telemetry::init("pvmlab");
            let r = status::status(&lab);
            telemetry.shutdown();
            r
        }
        Cmd::Ready { node } => match ready::ready(&lab, node.as_deref()) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Cmd::Down => launcher::down(&lab),
        Cmd::Workload {
            frame,
            lpar,
            rate,
            working_set,
            pattern,
            digest,
            refuse_migration,
            script_ms,
            disk_iops,
            packets,
        } => status::workload(
            &lab,
            &frame,
            &lpar,
            status::WorkloadChange {
                rate,
                working_set,
                pattern,
                refuse_migration,
                script_ms,
                disk_iops,
                packets,
            },
            digest,
        ),
        Cmd::Os {
            frame,
            lpar,
            command,
        } => status::os(&lab, &frame, &lpar, &command.join(" ")),
        Cmd::Bench {
            which: BenchCmd::Ssh { runs },
        } => bench::ssh_bench(runs),
        Cmd::Bench {
            which:
                BenchCmd::Lpm {
                    sizes,
                    rates,
                    runs,
                    shape,
                },
        } => (|| {
            let shape = match shape.as_str() {
                "none" => None,
                s => Some(pvmlab_common::fault::parse_rate(s)?),
            };
            bench_lpm::lpm_bench(&sizes, &rates, runs, shape)
        })(),
        Cmd::Bench {
            which: BenchCmd::Rr { runs },
        } => bench_rr::rr_bench(runs),
        Cmd::Fault { cmd } => fault::run(&lab, cmd),
        Cmd::Toxiproxy { listen } => toxiproxy::run(&lab, &listen),
        Cmd::Prepare { topology } => launcher::prepare(&lab, topology.as_deref()),
        Cmd::Compose {
            cmd: ComposeCmd::Generate { topology, out },
        } => compose::run(topology.as_deref(), &out),
        Cmd::Chaos {
            cmd:
                ChaosCmd::Run {
                    file,
                    seed,
                    steps,
                    minutes,
                    report,
                },
        } => chaos::run(
            &lab,
            &file,
            chaos::Options {
                seed,
                steps,
                limit: minutes.map(|m| Duration::from_secs_f64(m * 60.0)),
                report,
            },
        ),
        Cmd::Bench {
            which: BenchCmd::Soak { minutes, seed },
        } => bench_soak::run(minutes, seed),
        Cmd::Bench {
            which:
                BenchCmd::Vios {
                    runs,
                    detect_ms,
                    hcheck_ms,
                },
        } => bench_vios::run(runs, detect_ms, hcheck_ms),
        Cmd::Bench {
            which:
                BenchCmd::Scale {
                    frames,
                    lpars,
                    idle_secs,
                    timeout,
                },
        } => bench_scale::run_bench(bench_scale::Options {
            frames,
            lpars,
            idle_secs,
            timeout,
        }),
        Cmd::Evacuate { frame, hmc } => evacuate::run(&lab, &frame, &hmc),
        Cmd::Errpt { frame, lpar } => status::errpt(&lab, &frame, &lpar),
        Cmd::Migrate {
            src,
            lpar,
            dst,
            hmc,
        } => match migrate::run(&lab, &hmc, &src, &lpar, &dst) {
            Ok(code) => return ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(e) => Err(e),
        },
        Cmd::Hmc { name, user, line } => match status::hmc_command(&lab, &name, &user, &line) {
            Ok(code) => return ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pvmlab: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The topology of the lab in `lab`, or why there is none.
pub fn lab_topology(lab: &LabDir) -> anyhow::Result<pvmlab_common::topology::Topology> {
    pvmlab_common::topology::Topology::load(&lab.topology())
        .map_err(|e| anyhow::anyhow!("no lab in {}: {e}", lab.root().display()))
}

/// A frame of the lab by name; the error lists the frames there are.
pub fn frame_def<'a>(
    topo: &'a pvmlab_common::topology::Topology,
    name: &str,
) -> anyhow::Result<&'a pvmlab_common::topology::FrameDef> {
    topo.frame(name).ok_or_else(|| {
        let names: Vec<&str> = topo
            .frame
            .iter()
            .map(|f| f.name.get_ref().as_str())
            .collect();
        anyhow::anyhow!(
            "no frame named {name} in the lab; its frames are {}",
            names.join(", ")
        )
    })
}

fn init(
    file: &std::path::Path,
    subnet: Option<&str>,
    force: bool,
    site: Option<pvmlab_common::labs::site::SiteSpec>,
) -> anyhow::Result<()> {
    if file.exists() && !force {
        anyhow::bail!("{} exists; use --force to overwrite it", file.display());
    }
    let (text, what) = match &site {
        Some(spec) => (
            pvmlab_common::labs::site::site(spec)?,
            format!(
                "a site of {} frames and {} partitions",
                spec.frames, spec.lpars
            ),
        ),
        None => {
            let mut text = DEFAULT_LAB.to_string();
            if let Some(s) = subnet {
                // A /16 holds the default lab in its first /24.
                let prefix = if pvmlab_common::labs::site::is_wide(s)? {
                    format!("{s}.0")
                } else {
                    s.to_string()
                };
                text = text.replace("\"127.42.0.", &format!("\"{prefix}."));
            }
            (text, "the default lab".to_string())
        }
    };
    Topology::parse(&file.display().to_string(), &text)?;
    std::fs::write(file, text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!(
        "wrote {what} to {}; bring it up with: pvmlab up --topology {}",
        file.display(),
        file.display()
    );
    Ok(())
}
