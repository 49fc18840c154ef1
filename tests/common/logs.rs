//! Captures `tracing` output into a buffer so tests can search it.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::MakeWriter;

/// Shared buffer of captured log text.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything logged so far.
    pub fn contents(&self) -> String {
        let buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.contents().contains(needle)
    }
}

/// One writer per event, appending to the buffer.
pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> LogWriter {
        LogWriter(self.0.clone())
    }
}

/// Installs a TRACE-level subscriber writing into a buffer, as the default for
/// the current thread until the guard drops. Use it in a `current_thread`
/// runtime (plain `#[tokio::test]`) so every task logs on this thread; work
/// moved to other threads (`spawn_blocking`) is not captured.
pub fn capture_logs() -> (tracing::subscriber::DefaultGuard, LogBuffer) {
    keep_a_second_dispatcher();
    let buf = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buf.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    (tracing::subscriber::set_default(subscriber), buf)
}

/// tracing-core treats a lone registered dispatcher as the global one
/// (`has_just_one`): a callsite first hit on another test's thread (no
/// subscriber there) then caches "never" for every thread, and a capture
/// running alone in parallel with other tests misses those events. A second
/// dispatcher kept alive for the whole run turns that shortcut off.
fn keep_a_second_dispatcher() {
    static EXTRA: OnceLock<tracing::Dispatch> = OnceLock::new();
    EXTRA.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
}
