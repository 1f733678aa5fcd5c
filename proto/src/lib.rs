//! Generated gRPC contracts. Each surface lives in its own versioned package so
//! that a node and a client of another version refuse each other clearly.

pub mod codec;

// The nesting mirrors the proto packages, which the generated code's
// cross-package paths (super::super::model::v1) rely on.
pub mod pvmlab {
    pub mod model {
        pub mod v1 {
            tonic::include_proto!("pvmlab.model.v1");
        }
    }
    pub mod fsp {
        pub mod v1 {
            tonic::include_proto!("pvmlab.fsp.v1");
        }
    }
    pub mod vios {
        pub mod v1 {
            tonic::include_proto!("pvmlab.vios.v1");
        }
    }
    pub mod hmc {
        pub mod v1 {
            tonic::include_proto!("pvmlab.hmc.v1");
        }
    }
    pub mod mover {
        pub mod v1 {
            tonic::include_proto!("pvmlab.mover.v1");
        }
    }
    pub mod chaos {
        pub mod v1 {
            tonic::include_proto!("pvmlab.chaos.v1");
        }
    }
    pub mod san {
        pub mod v1 {
            tonic::include_proto!("pvmlab.san.v1");
        }
    }
}

pub use pvmlab::chaos::v1 as chaos;
pub use pvmlab::fsp::v1 as fsp;
pub use pvmlab::hmc::v1 as hmc;
pub use pvmlab::model::v1 as model;
pub use pvmlab::mover::v1 as mover;
pub use pvmlab::san::v1 as san;
pub use pvmlab::vios::v1 as vios;
