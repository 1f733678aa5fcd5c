//! The source's end of the stream to the destination MSP: pages one way,
//! the destination's answers (ready, demand requests, resumed, finished)
//! the other, read on their own task so a demand request is seen while
//! pages flow.

use super::{Fail, QUEUE};
use pvmlab_common::failure;
use pvmlab_common::net::Identity;
use pvmlab_common::proto::model::Reason;
use pvmlab_common::proto::mover::mover_client::MoverClient;
use pvmlab_common::proto::mover::*;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

/// How the destination's side of the stream ended.
#[derive(Debug)]
pub(super) enum Lost {
    /// It closed the stream without an error.
    Closed,
    /// It ended it with this status (its own, or its hypervisor's).
    Failed(Status),
}

impl Lost {
    /// The destination's hypervisor refused to resume the partition: it
    /// never ran there, so the source may let it run on.
    pub fn refused_resume(&self) -> bool {
        matches!(self, Lost::Failed(s) if failure::reason(s) == Reason::ResumeRefused)
    }
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lost::Closed => f.write_str("the destination closed the channel"),
            Lost::Failed(s) => f.write_str(s.message()),
        }
    }
}

/// One answer of the destination, or how its stream ended.
pub(super) type Answer = Result<to_source::Kind, Lost>;

pub(super) struct DestLink {
    tx: mpsc::Sender<ToDest>,
    answers: mpsc::Receiver<Answer>,
}

fn td(k: to_dest::Kind) -> ToDest {
    ToDest { kind: Some(k) }
}

impl DestLink {
    /// Opens the transfer and waits until the destination is ready (its
    /// hypervisor has the shell open).
    pub async fn connect(id: &Identity, r: &MigrateRequest) -> Result<DestLink, Fail> {
        let chan = id
            .channel(&r.dest_msp_node, &r.dest_msp_addr)
            .map_err(Fail::link)?;
        let (tx, rx) = mpsc::channel::<ToDest>(QUEUE);
        tx.send(td(to_dest::Kind::Hello(Hello {
            migration_id: r.migration_id.clone(),
            dest_lpar_id: r.dest_lpar_id,
        })))
        .await
        .map_err(Fail::link)?;
        let mut din = MoverClient::new(chan)
            .transfer(ReceiverStream::new(rx))
            .await
            .map_err(|e| Fail::link(e.message()))?
            .into_inner();
        match din.message().await.map_err(|e| Fail::link(e.message()))? {
            Some(ToSource {
                kind: Some(to_source::Kind::Ready(_)),
            }) => {}
            _ => return Err(Fail::link("the destination did not get ready")),
        }
        let (atx, answers) = mpsc::channel::<Answer>(64);
        tokio::spawn(async move {
            loop {
                let m = match din.message().await {
                    Ok(Some(ToSource { kind: Some(k) })) => Ok(k),
                    Ok(Some(_)) => continue,
                    Ok(None) => Err(Lost::Closed),
                    Err(e) => Err(Lost::Failed(e)),
                };
                let end = m.is_err();
                if atx.send(m).await.is_err() || end {
                    return;
                }
            }
        });
        Ok(DestLink { tx, answers })
    }

    pub async fn send(&self, k: to_dest::Kind) -> Result<(), Fail> {
        self.tx.send(td(k)).await.map_err(Fail::link)
    }

    /// Before the resume the destination only ever answers with an error:
    /// whether it has.
    pub fn check(&mut self) -> Result<(), Fail> {
        match self.answers.try_recv() {
            Ok(Err(e)) => Err(Fail::link(e)),
            Err(TryRecvError::Disconnected) => Err(Fail::link("the destination is gone")),
            _ => Ok(()),
        }
    }

    /// The next answer; None: the reader is gone.
    pub async fn recv(&mut self) -> Option<Answer> {
        self.answers.recv().await
    }

    pub fn try_recv(&mut self) -> Result<Answer, TryRecvError> {
        self.answers.try_recv()
    }

    /// Waits for `Flushed`: every page sent before the flush is in the shell.
    pub async fn flushed(&mut self) -> Result<(), Fail> {
        loop {
            match self.recv().await {
                Some(Ok(to_source::Kind::Flushed(_))) => return Ok(()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Fail::link(e)),
                None => return Err(Fail::link("the destination is gone")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_typed_refusal_lets_the_source_run_on() {
        let refused = failure::with_reason(
            tonic::Code::FailedPrecondition,
            "the destination refused to resume partition 3: its shell is gone",
            Reason::ResumeRefused,
        );
        assert!(Lost::Failed(refused).refused_resume());
        // The same words without the reason decide nothing.
        let words = Status::failed_precondition(
            "the destination refused to resume partition 3: its shell is gone",
        );
        assert!(!Lost::Failed(words).refused_resume());
        assert!(!Lost::Closed.refused_resume());
    }

    #[test]
    fn a_lost_link_reads_as_before() {
        assert_eq!(
            Fail::link(Lost::Closed).msg,
            "MSP-MSP connection down: the destination closed the channel"
        );
        let s = Status::unavailable("the destination mover service partition was shut down");
        assert_eq!(
            Fail::link(Lost::Failed(s)).msg,
            "MSP-MSP connection down: the destination mover service partition was shut down"
        );
    }
}
