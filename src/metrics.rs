//! (Stub until the metrics module lands.)
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Metrics;

impl Metrics {
    pub fn register(_r: &prometheus::Registry) -> Result<Metrics, prometheus::Error> {
        Ok(Metrics)
    }
    pub fn request(&self, _family: &str, _status: u16, _outcome: &str, _elapsed: Duration) {}
    pub fn upstream(&self, _family: &str, _elapsed: Duration) {}
    pub fn rejection(&self, _reason: &str) {}
    pub fn config_reload(&self, _ok: bool) {}
}

pub fn encode(registry: &prometheus::Registry) -> String {
    use prometheus::Encoder;
    let mut buf = Vec::new();
    let _ = prometheus::TextEncoder::new().encode(&registry.gather(), &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
