//! The HMC's SSH server (being written).
