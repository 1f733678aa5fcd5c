//! Switches that make a node misbehave on purpose, for the end-to-end tests
//! that prove the lab notices. They exist only in builds with the
//! `test-switches` feature: the tests crate asks for it as a dev-dependency,
//! so `cargo test --workspace` builds every node with it, while release
//! builds and the container image leave it out and no environment variable
//! can break a user's lab.

#[derive(Debug, Clone, Copy)]
pub enum Switch {
    /// `PVMLAB_TEST_CORRUPT_MIGRATION`: the destination shell gets one page
    /// wrong, so the chaos invariants must report a broken migration.
    CorruptMigration,
    /// `PVMLAB_TEST_NO_VASI_WINDOW`: a mover acts as if the partition's
    /// memory window could not be mapped, so pages take the VASI stream.
    NoVasiWindow,
}

impl Switch {
    pub fn var(self) -> &'static str {
        match self {
            Switch::CorruptMigration => "PVMLAB_TEST_CORRUPT_MIGRATION",
            Switch::NoVasiWindow => "PVMLAB_TEST_NO_VASI_WINDOW",
        }
    }
}

/// Whether the switch is on: always false in a build without the feature.
pub fn on(switch: Switch) -> bool {
    #[cfg(feature = "test-switches")]
    {
        std::env::var_os(switch.var()).is_some()
    }
    #[cfg(not(feature = "test-switches"))]
    {
        let _ = switch;
        false
    }
}
