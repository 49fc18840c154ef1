//! Shared state of a running mock: recorded requests, jobs, uploads and
//! faults. One `Mutex` guards everything; it is never held across an await,
//! and a poisoned lock is recovered (a panicking test must not take the
//! server down with it).

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Version};
use tokio::sync::{watch, Notify};

use crate::faults::Faults;

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: Method,
    /// Path exactly as it arrived (no normalisation).
    pub path: String,
    /// Raw query string, byte for byte, without the `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub version: Version,
    /// Total body bytes received (counted while streaming).
    pub body_len: u64,
    /// The first 1 MiB of the body.
    pub body: Bytes,
    /// Lowercase hex SHA-256 of the whole body.
    pub body_sha256: String,
    /// `Host` header, or the URI authority (HTTP/2 `:authority`).
    pub host: Option<String>,
}

impl ReceivedRequest {
    /// A header value as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON (`None` if it is not JSON or was truncated).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What kind of HeyGen work a job stands for (decides which status paths find it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Avatar / template / agent videos: `video_status.get`, `/v2/videos/{id}`, `/v3/videos/{id}`.
    Video,
    /// Video translations (v2 and v3).
    Translation,
    /// v3 lipsyncs.
    Lipsync,
    /// v3 avatar creation.
    Avatar,
    /// Legacy streaming sessions.
    Streaming,
}

/// Lifecycle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    /// The status word of v1/v3 reads.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    /// Translations say `running` / `success` where videos say `processing` / `completed`.
    pub fn translate_str(self, v2: bool) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "running",
            JobStatus::Completed if v2 => "success",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }
}

/// A job created by a billable POST.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    /// Path of the create request that made it.
    pub created_by: String,
    pub status: JobStatus,
    /// Seconds of output; `None` until completed.
    pub duration: Option<f64>,
    pub error: Option<String>,
    pub title: Option<String>,
    pub callback_id: Option<String>,
    pub output_language: Option<String>,
    /// The v3 Video Agent session that made this video (each message may
    /// make another).
    pub session_id: Option<String>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
}

/// An asset received on `POST /v1/asset`.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub content_type: Option<String>,
    pub bytes: u64,
    pub sha256: String,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub(crate) org_key: String,
    /// `http://ADDR`: finished jobs' output URLs point here (`/media/…`).
    pub(crate) base: String,
    /// Whether `Inner::requests` is kept ([`crate::MockConfig::record_requests`]).
    pub(crate) record_requests: bool,
    pub(crate) inner: Mutex<Inner>,
    /// Flips to `true` on shutdown; hung requests wait on it.
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Signalled whenever faults change, so hung requests re-check.
    pub(crate) faults_changed: Notify,
}

pub(crate) struct Inner {
    pub(crate) requests: Vec<ReceivedRequest>,
    pub(crate) jobs: Vec<Job>,
    /// v3 batches of every kind, oldest first.
    pub(crate) batches: Vec<Batch>,
    /// See `MockControl::set_batch_page_limit`.
    pub(crate) batch_page_limit: Option<usize>,
    pub(crate) uploads: Vec<Upload>,
    pub(crate) faults: Faults,
    pub(crate) auto_complete: Option<f64>,
    pub(crate) remaining_quota: u64,
    /// See `MockControl::set_agent_video_id_later`.
    pub(crate) agent_video_id_later: bool,
    /// See `MockControl::set_agent_revisions_render`.
    pub(crate) agent_revisions_render: bool,
    /// Voices cloned or designed through the API (listed with the stock ones).
    pub(crate) voices: Vec<String>,
    /// Detail reads set by a test (`MockControl::set_detail`): path → `data`.
    pub(crate) details: std::collections::HashMap<String, serde_json::Value>,
    /// `Idempotency-Key`s of v3 POSTs and their answers.
    pub(crate) idem: crate::idem::Keys,
    /// Gzip JSON answers for requests that accept it (`MockControl::set_gzip`).
    pub(crate) gzip: bool,
}

/// A v3 batch (`crate::batches`).
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub(crate) id: String,
    pub(crate) created_at: i64,
    /// What its items are: videos, translations or lipsyncs.
    pub(crate) kind: JobKind,
    /// Item job ids by `item_index`.
    pub(crate) items: Vec<String>,
}

/// Fields of a job taken from the create request.
#[derive(Debug, Default)]
pub(crate) struct NewJob {
    pub(crate) title: Option<String>,
    pub(crate) callback_id: Option<String>,
    pub(crate) output_language: Option<String>,
    pub(crate) session_id: Option<String>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a new job (completed at once when auto-complete is on).
    pub(crate) fn create_job(&self, kind: JobKind, created_by: &str, new: NewJob) -> Job {
        let now = unix_now();
        let mut inner = self.lock();
        let auto = inner.auto_complete;
        let job = Job {
            id: new_id(),
            kind,
            created_by: created_by.to_string(),
            status: if auto.is_some() {
                JobStatus::Completed
            } else {
                JobStatus::Pending
            },
            duration: auto,
            error: None,
            title: new.title,
            callback_id: new.callback_id,
            output_language: new.output_language,
            session_id: new.session_id,
            created_at: now,
            completed_at: auto.map(|_| now),
        };
        inner.jobs.push(job.clone());
        job
    }

    /// Finds a job of one of `kinds` by id.
    pub(crate) fn find_job(&self, id: &str, kinds: &[JobKind]) -> Option<Job> {
        self.lock()
            .jobs
            .iter()
            .find(|j| kinds.contains(&j.kind) && j.id == id)
            .cloned()
    }

    /// Removes the job with this id; `false` if there is none.
    pub(crate) fn remove_job(&self, id: &str, kinds: &[JobKind]) -> bool {
        let mut inner = self.lock();
        let before = inner.jobs.len();
        inner
            .jobs
            .retain(|j| !(kinds.contains(&j.kind) && j.id == id));
        inner.jobs.len() != before
    }

    /// Applies `f` to the job with this id; `false` if there is none.
    pub(crate) fn update_job(&self, id: &str, f: impl FnOnce(&mut Job)) -> bool {
        let mut inner = self.lock();
        match inner.jobs.iter_mut().find(|j| j.id == id) {
            Some(job) => {
                f(job);
                true
            }
            None => false,
        }
    }
}

/// A HeyGen-looking id: 32 lowercase hex digits.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
