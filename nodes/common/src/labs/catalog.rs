//! What a generated site is made of: the frame models IBM sells (with
//! what each holds) and the sizes client partitions come in.

use crate::topology::GENERATIONS;

/// One frame model as IBM sells it: what a frame of it holds.
pub(super) struct Model {
    pub mt: &'static str,
    pub generation: &'static str,
    pub memory_mb: u64,
    pub processors: u32,
    pub firmware: &'static str,
    pub max_lpars: u32,
    pub enterprise: bool,
    /// The processor generation's number, to find a group's oldest.
    pub rank: u8,
}

impl Model {
    /// The processor modes its generation runs, from the one table of them.
    pub fn modes(&self) -> &'static [&'static str] {
        GENERATIONS
            .iter()
            .find(|(g, _)| *g == self.generation)
            .map_or(&[], |(_, m)| m)
    }
}

pub(super) const MODELS: &[Model] = &[
    Model {
        mt: "9117-MMD",
        generation: "POWER7+",
        memory_mb: 1 << 20,
        processors: 64,
        firmware: "AM780_084",
        max_lpars: 1000,
        enterprise: true,
        rank: 7,
    },
    Model {
        mt: "8205-E6D",
        generation: "POWER7+",
        memory_mb: 512 << 10,
        processors: 16,
        firmware: "AL770_112",
        max_lpars: 160,
        enterprise: false,
        rank: 7,
    },
    Model {
        mt: "8286-42A",
        generation: "POWER8",
        memory_mb: 1 << 20,
        processors: 24,
        firmware: "SV860_180",
        max_lpars: 480,
        enterprise: false,
        rank: 8,
    },
    Model {
        mt: "9119-MHE",
        generation: "POWER8",
        memory_mb: 4 << 20,
        processors: 192,
        firmware: "SC860_180",
        max_lpars: 1000,
        enterprise: true,
        rank: 8,
    },
    Model {
        mt: "9009-42A",
        generation: "POWER9",
        memory_mb: 2 << 20,
        processors: 24,
        firmware: "VL950_111",
        max_lpars: 480,
        enterprise: false,
        rank: 9,
    },
    Model {
        mt: "9080-M9S",
        generation: "POWER9",
        memory_mb: 8 << 20,
        processors: 192,
        firmware: "VH950_111",
        max_lpars: 1000,
        enterprise: true,
        rank: 9,
    },
    Model {
        mt: "9105-42A",
        generation: "POWER10",
        memory_mb: 4 << 20,
        processors: 48,
        firmware: "ML1050_052",
        max_lpars: 1000,
        enterprise: false,
        rank: 10,
    },
    Model {
        mt: "9080-HEX",
        generation: "POWER10",
        memory_mb: 16 << 20,
        processors: 240,
        firmware: "MH1050_052",
        max_lpars: 1000,
        enterprise: true,
        rank: 10,
    },
];

/// A client partition's size: memory and processors, shared or dedicated.
#[derive(Clone, Copy)]
pub(super) struct Shape {
    pub mem_mb: u64,
    /// Processing units (shared) or whole processors (dedicated).
    pub units: f64,
    pub procs: u32,
    pub dedicated: bool,
    /// How often a client has it, of 100.
    pub weight: u32,
}

pub(super) const SHAPES: &[Shape] = &[
    Shape {
        mem_mb: 2048,
        units: 0.1,
        procs: 1,
        dedicated: false,
        weight: 40,
    },
    Shape {
        mem_mb: 4096,
        units: 0.25,
        procs: 1,
        dedicated: false,
        weight: 30,
    },
    Shape {
        mem_mb: 8192,
        units: 0.5,
        procs: 2,
        dedicated: false,
        weight: 18,
    },
    Shape {
        mem_mb: 16384,
        units: 2.0,
        procs: 2,
        dedicated: true,
        weight: 8,
    },
    Shape {
        mem_mb: 32768,
        units: 4.0,
        procs: 4,
        dedicated: true,
        weight: 4,
    },
];
/// The smallest client, by which the frames' room is counted.
pub(super) const TINY: Shape = SHAPES[0];
