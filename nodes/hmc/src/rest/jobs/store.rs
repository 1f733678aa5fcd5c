//! The jobs this HMC keeps for its REST clients: each one's request, status
//! and output, until a client deletes it or room is needed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Jobs kept at most (finished ones go first).
const KEEP: usize = 1000;

#[derive(Clone)]
pub(super) struct Job {
    pub id: u64,
    pub op: String,
    pub group: String,
    pub target: String,
    pub url: String,
    pub params: Vec<(String, String)>,
    pub status: &'static str,
    pub started: u64,
    pub completed: u64,
    pub output: String,
    /// Named results besides `result` (a template's TEMPLATE_UUID, a
    /// deployed partition's PartitionUuid).
    pub results: Vec<(String, String)>,
}

#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Job>>,
}

pub(super) fn millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl Jobs {
    /// A new job's id: the time in milliseconds, and a count that tells
    /// apart the jobs of one millisecond.
    pub(super) fn new_id(&self) -> u64 {
        millis() * 1000 + self.next.fetch_add(1, Ordering::Relaxed) % 1000
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a new job; finished jobs a client never deleted go, the
    /// oldest first, to make room.
    pub(super) fn insert(&self, job: Job) {
        let mut jobs = self.lock();
        while jobs.len() >= KEEP {
            let Some(old) = jobs
                .values()
                .filter(|j| j.status != "RUNNING")
                .map(|j| j.id)
                .min()
            else {
                break;
            };
            jobs.remove(&old);
        }
        jobs.insert(job.id, job);
    }

    /// Records how a job's command ended: its output and exit status.
    pub(super) fn finish(&self, id: u64, output: String, code: u32) {
        self.finish_with(id, output, code, Vec::new());
    }

    /// As `finish`, with named results.
    pub(super) fn finish_with(
        &self,
        id: u64,
        output: String,
        code: u32,
        results: Vec<(String, String)>,
    ) {
        if let Some(j) = self.lock().get_mut(&id) {
            j.results = results;
            j.status = if code == 0 {
                "COMPLETED_OK"
            } else {
                "COMPLETED_WITH_ERROR"
            };
            j.completed = millis();
            j.output = output;
        }
    }

    pub(super) fn get(&self, id: u64) -> Option<Job> {
        self.lock().get(&id).cloned()
    }

    pub(super) fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, status: &'static str) -> Job {
        Job {
            id,
            op: "PowerOn".into(),
            group: "LogicalPartition".into(),
            target: String::new(),
            url: String::new(),
            params: Vec::new(),
            status,
            started: 0,
            completed: 0,
            output: String::new(),
            results: Vec::new(),
        }
    }

    #[test]
    fn a_full_store_lets_the_oldest_finished_job_go_and_keeps_running_ones() {
        let jobs = Jobs::default();
        jobs.insert(job(1, "RUNNING"));
        for id in 2..=KEEP as u64 {
            jobs.insert(job(id, "COMPLETED_OK"));
        }
        jobs.insert(job(5000, "RUNNING"));
        assert!(jobs.get(1).is_some() && jobs.get(2).is_none() && jobs.get(3).is_some());
        jobs.finish(1, "done\n".into(), 1);
        let j = jobs.get(1).map(|j| (j.status, j.output));
        assert_eq!(j, Some(("COMPLETED_WITH_ERROR", "done\n".into())));
        jobs.remove(1);
        assert!(jobs.get(1).is_none());
    }
}
