//! Typed failure reasons between processes. A node that refuses a request
//! puts a `Failure` (model.proto) into the gRPC status's details; the caller
//! decides what happened from it, never from the message text, which stays
//! free to change wording for people.

use crate::proto::model::{Failure, Reason};
use prost::Message;

/// A status with `code`, the human `message`, and `failure` in its details.
pub fn status(code: tonic::Code, message: impl Into<String>, failure: Failure) -> tonic::Status {
    tonic::Status::with_details(code, message, failure.encode_to_vec().into())
}

/// A status whose only typed content is its reason.
pub fn with_reason(code: tonic::Code, message: impl Into<String>, reason: Reason) -> tonic::Status {
    status(
        code,
        message,
        Failure {
            reason: reason as i32,
            ..Default::default()
        },
    )
}

/// The typed failure a status carries, if its sender gave one.
pub fn of(status: &tonic::Status) -> Option<Failure> {
    Failure::decode(status.details())
        .ok()
        .filter(|f| f.reason != Reason::Unspecified as i32)
}

/// The reason a status carries; `Unspecified` when it has none.
pub fn reason(status: &tonic::Status) -> Reason {
    of(status)
        .and_then(|f| Reason::try_from(f.reason).ok())
        .unwrap_or(Reason::Unspecified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_survives_the_status() {
        let s = status(
            tonic::Code::FailedPrecondition,
            "The managed system is locked by hmc2.",
            Failure {
                reason: Reason::Locked as i32,
                holder: "hmc2".into(),
                ..Default::default()
            },
        );
        assert_eq!(reason(&s), Reason::Locked);
        assert_eq!(of(&s).map(|f| f.holder), Some("hmc2".into()));
    }

    #[test]
    fn a_status_without_details_has_no_reason() {
        let s = tonic::Status::failed_precondition("insufficient memory");
        assert_eq!(reason(&s), Reason::Unspecified);
        assert!(of(&s).is_none());
    }
}
