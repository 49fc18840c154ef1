//! [`AgentVideos`] on SQLite: each call is one shared operation from
//! `ledger::ops::placeholders` run on the worker's connection.

use async_trait::async_trait;

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::agent_videos::open_sessions;
use crate::ledger::ops::placeholders::{self, AGENT_PREFIX};
use crate::ledger::ops::run_ready;
use crate::ledger::{AgentVideos, LedgerError, OpenSession, PlaceholderBind};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl AgentVideos for SqliteLedger {
    async fn agent_sessions(&self, scan: u32) -> R<Vec<OpenSession>> {
        let keys = self
            .worker
            .call(move |c| run_ready(placeholders::open_keys(&SqliteTx(c), AGENT_PREFIX, scan)))
            .await?;
        Ok(open_sessions(keys))
    }

    async fn bind_agent_video(
        &self,
        session_id: &str,
        video_id: &str,
        status_path: &str,
    ) -> R<PlaceholderBind> {
        let (s, v, p, now) = (
            session_id.to_string(),
            video_id.to_string(),
            status_path.to_string(),
            self.now_us(),
        );
        self.worker
            .call(move |c| {
                let tx = SqliteTx(c);
                run_ready(placeholders::bind(&tx, AGENT_PREFIX, &s, &v, &p, now))
            })
            .await
    }
}
