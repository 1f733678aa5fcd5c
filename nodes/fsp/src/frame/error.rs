//! The hypervisor's refusals. The message is what the HMC prints (keep it
//! byte for byte); the typed failure beside it is what the HMC decides on.

use pvmlab_common::proto::model::{Failure, Reason};
use pvmlab_common::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FspError {
    #[error("partition {0} not found")]
    NoPartition(String),
    #[error("the managed system is in state {state}, and the operation needs {needed}")]
    FrameState { state: String, needed: String },
    #[error("partition {name} is in state {state}, and the operation needs {needed}")]
    LparState {
        name: String,
        state: String,
        needed: String,
    },
    #[error("partition {0} has no profile {1}")]
    NoProfile(String, String),
    #[error("insufficient memory: Obtained - {obtained} MB, Required - {required} MB")]
    Memory { obtained: u64, required: u64 },
    #[error("insufficient processors: available {available}, required {required}")]
    Processors { available: String, required: String },
    #[error("{0}")]
    NotPermitted(String),
    /// The partition's operating system said no to a migration phase.
    #[error("{0}")]
    OsRefused(String),
    /// The partition's migration scripts overran the phase's wait time.
    #[error("{0}")]
    ScriptsTimedOut(String),
    #[error("{0}")]
    Invalid(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

impl FspError {
    /// The gRPC code the refusal goes out with.
    pub fn code(&self) -> tonic::Code {
        use tonic::Code;
        match self {
            FspError::NoPartition(_) | FspError::NoProfile(..) => Code::NotFound,
            FspError::NotPermitted(_) | FspError::OsRefused(_) | FspError::ScriptsTimedOut(_) => {
                Code::PermissionDenied
            }
            FspError::Invalid(_) => Code::InvalidArgument,
            FspError::Store(_) => Code::Internal,
            FspError::FrameState { .. }
            | FspError::LparState { .. }
            | FspError::Memory { .. }
            | FspError::Processors { .. } => Code::FailedPrecondition,
        }
    }

    /// The typed reason, with the figures and subject the refusal names.
    pub fn failure(&self) -> Failure {
        let (reason, subject, obtained, required) = match self {
            FspError::NoPartition(id) => (Reason::NoPartition, id.clone(), 0, 0),
            FspError::FrameState { .. } => (Reason::FrameState, String::new(), 0, 0),
            FspError::LparState { name, .. } => (Reason::PartitionState, name.clone(), 0, 0),
            FspError::NoProfile(lpar, _) => (Reason::NoProfile, lpar.clone(), 0, 0),
            FspError::Memory { obtained, required } => (
                Reason::InsufficientMemory,
                String::new(),
                *obtained,
                *required,
            ),
            // Figures only for whole processors (dedicated); processing
            // units have no whole-number form.
            FspError::Processors {
                available,
                required,
            } => match (available.parse(), required.parse()) {
                (Ok(a), Ok(r)) => (Reason::InsufficientProcessors, String::new(), a, r),
                _ => (Reason::InsufficientProcessors, String::new(), 0, 0),
            },
            FspError::NotPermitted(_) => (Reason::NotPermitted, String::new(), 0, 0),
            FspError::OsRefused(_) => (Reason::OsRefused, String::new(), 0, 0),
            FspError::ScriptsTimedOut(_) => (Reason::ScriptsTimedOut, String::new(), 0, 0),
            FspError::Invalid(_) => (Reason::Invalid, String::new(), 0, 0),
            FspError::Store(_) => (Reason::Unspecified, String::new(), 0, 0),
        };
        Failure {
            reason: reason as i32,
            subject,
            obtained,
            required,
            ..Default::default()
        }
    }

    /// The status an RPC refuses with.
    pub fn status(&self) -> tonic::Status {
        self.status_with(self.code())
    }

    /// The status with another code (the VASI streams refuse with
    /// FailedPrecondition whatever the reason).
    pub fn status_with(&self, code: tonic::Code) -> tonic::Status {
        pvmlab_common::failure::status(code, self.to_string(), self.failure())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::failure;

    #[test]
    fn a_refusal_keeps_its_words_and_carries_its_reason() {
        let e = FspError::Memory {
            obtained: 768,
            required: 2048,
        };
        let s = e.status();
        assert_eq!(s.code(), tonic::Code::FailedPrecondition);
        assert_eq!(
            s.message(),
            "insufficient memory: Obtained - 768 MB, Required - 2048 MB"
        );
        let f = failure::of(&s).unwrap();
        assert_eq!(f.reason, Reason::InsufficientMemory as i32);
        assert_eq!((f.obtained, f.required), (768, 2048));
    }

    #[test]
    fn each_refusal_has_its_reason() {
        let state = FspError::LparState {
            name: "lpar1".into(),
            state: "Running".into(),
            needed: "Not Activated".into(),
        };
        assert_eq!(failure::reason(&state.status()), Reason::PartitionState);
        assert_eq!(failure::of(&state.status()).unwrap().subject, "lpar1");
        let procs = FspError::Processors {
            available: "1".into(),
            required: "2".into(),
        };
        let f = failure::of(&procs.status()).unwrap();
        assert_eq!((f.obtained, f.required), (1, 2));
        let units = FspError::Processors {
            available: "0.05".into(),
            required: "0.10".into(),
        };
        assert_eq!(
            failure::reason(&units.status()),
            Reason::InsufficientProcessors
        );
        let refused = FspError::OsRefused("no".into());
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert_eq!(failure::reason(&refused.status()), Reason::OsRefused);
        let vasi = FspError::NoPartition("3".into()).status_with(tonic::Code::FailedPrecondition);
        assert_eq!(vasi.code(), tonic::Code::FailedPrecondition);
        assert_eq!(failure::reason(&vasi), Reason::NoPartition);
    }
}
