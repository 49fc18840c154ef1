//! What happens at accept besides admission: backing off when accept fails
//! (EMFILE/ENFILE/ENOBUFS would otherwise spin a core while the condition
//! lasts), and the cheap answer a shed connection gets.

use std::sync::LazyLock;
use std::time::Duration;

use tokio::net::TcpStream;

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Exponential back-off across consecutive accept failures, logging once
/// per burst rather than once per failure.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    failures: u64,
    next: Duration,
}

impl AcceptBackoff {
    /// Records a failure; returns how long to wait before accepting again.
    pub fn failed(&mut self, listener: &str, err: &std::io::Error) -> Duration {
        self.failures += 1;
        if self.failures == 1 {
            tracing::warn!(listener, error = %err, "Accept failed; backing off until it succeeds again.");
            self.next = FIRST_BACKOFF;
        } else {
            self.next = (self.next * 2).min(MAX_BACKOFF);
        }
        self.next
    }

    /// Records a success, closing a burst of failures if there was one.
    pub fn succeeded(&mut self, listener: &str) {
        if self.failures > 0 {
            tracing::warn!(listener, failures = self.failures, "Accept recovered.");
            self.failures = 0;
        }
    }
}

static SHED_RESPONSE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let body = r#"{"error":{"code":"service_unavailable","message":"too many connections; retry shortly","gateway_reason":"connection_limit"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nx-gateway-rejected: connection_limit\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
});

/// Answers a connection over a cap with a fixed 503 if the socket takes it
/// without waiting (one non-blocking write, no task, no buffer), then
/// closes it.
pub fn shed(stream: TcpStream) {
    let _ = stream.try_write(&SHED_RESPONSE);
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_and_resets() {
        let err = std::io::Error::other("EMFILE");
        let mut b = AcceptBackoff::default();
        let waits: Vec<Duration> = (0..10).map(|_| b.failed("t", &err)).collect();
        assert_eq!(waits[0], FIRST_BACKOFF);
        assert_eq!(waits[1], FIRST_BACKOFF * 2);
        assert_eq!(waits[9], MAX_BACKOFF);
        b.succeeded("t");
        assert_eq!(b.failed("t", &err), FIRST_BACKOFF);
    }

    #[test]
    fn shed_response_is_well_formed() {
        let text = String::from_utf8(SHED_RESPONSE.clone()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}
