//! The control API tests use instead of HTTP: recorded requests, job state,
//! quota and faults.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::faults::FaultControl;
use crate::state::{unix_now, Job, JobStatus, ReceivedRequest, Shared, Upload};

/// Cloneable handle to a running mock's state.
#[derive(Clone)]
pub struct MockControl {
    pub(crate) shared: Arc<Shared>,
}

impl MockControl {
    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Requests whose path is exactly `path`.
    pub fn requests_to(&self, path: &str) -> Vec<ReceivedRequest> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Number of requests received.
    pub fn count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// Forgets recorded requests and uploads (jobs and faults stay).
    pub fn clear(&self) {
        let mut inner = self.shared.lock();
        inner.requests.clear();
        inner.uploads.clear();
    }

    /// Every job created so far.
    pub fn jobs(&self) -> Vec<Job> {
        self.shared.lock().jobs.clone()
    }

    /// One job by id.
    pub fn job(&self, id: &str) -> Option<Job> {
        self.shared.lock().jobs.iter().find(|j| j.id == id).cloned()
    }

    /// The item video ids of a v3 batch, in order; `None` if unknown.
    pub fn batch_items(&self, batch_id: &str) -> Option<Vec<String>> {
        let inner = self.shared.lock();
        let batch = inner.batches.iter().find(|b| b.id == batch_id)?;
        Some(batch.items.clone())
    }

    /// Marks a job completed with `duration_secs` of output; `false` if unknown.
    pub fn complete(&self, job_id: &str, duration_secs: f64) -> bool {
        self.shared.update_job(job_id, |j| {
            j.status = JobStatus::Completed;
            j.duration = Some(duration_secs);
            j.error = None;
            j.completed_at = Some(unix_now());
        })
    }

    /// Marks a job failed with `message`; `false` if unknown.
    pub fn fail(&self, job_id: &str, message: &str) -> bool {
        self.shared.update_job(job_id, |j| {
            j.status = JobStatus::Failed;
            j.duration = None;
            j.error = Some(message.to_string());
            j.completed_at = Some(unix_now());
        })
    }

    /// Moves a job to `processing`; `false` if unknown.
    pub fn set_processing(&self, job_id: &str) -> bool {
        self.shared
            .update_job(job_id, |j| j.status = JobStatus::Processing)
    }

    /// Complete new jobs at creation with this duration (`None`: leave them pending).
    pub fn set_auto_complete(&self, duration_secs: Option<f64>) {
        self.shared.lock().auto_complete = duration_secs;
    }

    /// New v3 Video Agent sessions answer `video_id: null` at creation (the
    /// agent has not started its video yet); the session status and its
    /// video list name it.
    pub fn set_agent_video_id_later(&self, later: bool) {
        self.shared.lock().agent_video_id_later = later;
    }

    /// Whether a message to a v3 Video Agent session starts a new video
    /// (on by default); off, it is answered alike and renders nothing (a
    /// question answered, a revision the agent turned down).
    pub fn set_agent_revisions_render(&self, render: bool) {
        self.shared.lock().agent_revisions_render = render;
    }

    /// Batch status reads list at most `limit` items a page, whatever
    /// `limit` the read asks for (`None`: as asked, 100 by default), so a
    /// test pages a small batch the way a large one pages.
    pub fn set_batch_page_limit(&self, limit: Option<usize>) {
        self.shared.lock().batch_page_limit = limit;
    }

    /// `GET {path}` (e.g. `/v3/templates/tpl_1`, `/v3/avatars/looks/look_1`)
    /// answers `{"data": data}` in the v3 envelope from now on; `None`
    /// removes it (then such a read is a 404).
    pub fn set_detail(&self, path: &str, data: Option<serde_json::Value>) {
        let mut inner = self.shared.lock();
        match data {
            Some(d) => inner.details.insert(path.to_string(), d),
            None => inner.details.remove(path),
        };
    }

    /// JSON answers are gzip-compressed from now on for requests that
    /// accept gzip, and for those sending no `Accept-Encoding` at all
    /// (which accept any coding, RFC 9110 §12.5.3), as HeyGen or a CDN in
    /// front of it may do; off by default.
    pub fn set_gzip(&self, on: bool) {
        self.shared.lock().gzip = on;
    }

    /// What `GET /v2/user/remaining_quota` reports from now on.
    pub fn set_remaining_quota(&self, quota: u64) {
        self.shared.lock().remaining_quota = quota;
    }

    /// Assets received on `POST /v1/asset`: byte count and SHA-256 of each body.
    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.lock().uploads.clone()
    }

    /// Fault controls for every path.
    pub fn faults(&self) -> FaultControl {
        FaultControl {
            shared: self.shared.clone(),
            prefix: None,
        }
    }

    /// Fault controls for paths starting with `prefix` (they win over global ones).
    pub fn on_path(&self, prefix: &str) -> FaultControl {
        FaultControl {
            shared: self.shared.clone(),
            prefix: Some(prefix.to_string()),
        }
    }

    /// Global: delay every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.faults().set_latency(latency);
    }

    /// Global: the next `n` requests get `status` in an error envelope.
    pub fn fail_next(&self, n: u32, status: StatusCode) {
        self.faults().fail_next(n, status);
    }

    /// Global: answer every request with `status` (`None` to stop).
    pub fn set_status_override(&self, status: Option<StatusCode>) {
        self.faults().set_status_override(status);
    }

    /// Global: close connections without answering.
    pub fn reset_connections(&self, on: bool) {
        self.faults().reset_connections(on);
    }

    /// Global: never answer.
    pub fn hang(&self, on: bool) {
        self.faults().hang(on);
    }

    /// Global: 429 `rate_limit_exceeded` with `Retry-After` (`None` to stop).
    pub fn set_rate_limited(&self, retry_after_secs: Option<u64>) {
        self.faults().set_rate_limited(retry_after_secs);
    }

    /// Removes every fault, global and per path.
    pub fn clear_faults(&self) {
        self.shared.lock().faults = Default::default();
        self.shared.faults_changed.notify_waiters();
    }
}
