//! Background tasks (settlement poller, hold expiry, quota poll, gauges).

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

pub(crate) fn spawn(_state: &Arc<AppState>, _stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    Vec::new()
}
