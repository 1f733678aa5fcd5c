//! What every pvmlab node shares. The node crates hold behaviour; this crate
//! holds the vocabulary (model, states, attribute names) and the plumbing
//! (mutual TLS, the fault layer, storage, telemetry) so that every process speaks the same way.

pub mod attrs;
pub mod clock;
pub mod entstat;
pub mod errpt;
pub mod failure;
pub mod fault;
pub mod files;
pub mod ids;
pub mod lab;
pub mod labs;
pub mod metrics;
pub mod model;
pub mod net;
pub mod node;
pub mod pki;
pub mod san;
pub mod ssh;
pub mod store;
pub mod telemetry;
pub mod test_switch;
#[cfg(test)]
pub(crate) mod testutil;
pub mod topology;
pub mod vios_hw;
pub mod window;

pub use pvmlab_proto as proto;
