//! [`AgentVideos`] on PostgreSQL: each call is one shared operation from
//! `ledger::ops::placeholders` in its own transaction.

use async_trait::async_trait;

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::agent_videos::open_sessions;
use crate::ledger::ops::placeholders::{self, AGENT_PREFIX};
use crate::ledger::{AgentVideos, LedgerError, OpenSession, PlaceholderBind};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl AgentVideos for PostgresLedger {
    async fn agent_sessions(&self, scan: u32) -> R<Vec<OpenSession>> {
        let keys = in_tx!(self, |tx| placeholders::open_keys(
            &PgTx(&tx),
            AGENT_PREFIX,
            scan
        ))?;
        Ok(open_sessions(keys))
    }

    async fn bind_agent_video(
        &self,
        session_id: &str,
        video_id: &str,
        status_path: &str,
    ) -> R<PlaceholderBind> {
        let now = self.now_us();
        in_tx!(self, |tx| placeholders::bind(
            &PgTx(&tx),
            AGENT_PREFIX,
            session_id,
            video_id,
            status_path,
            now
        ))
    }
}
