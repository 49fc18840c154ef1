//! What the soak watches in the gateway process, from /proc (Linux only):
//! resident memory (current and peak) and open file descriptors.

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Duration,
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
    pub fds: usize,
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// One sample of `pid`; `None` once the process is gone.
pub fn sample(pid: u32, at: Duration) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some(Sample {
        at,
        rss_kib: status_kib(&status, "VmRSS:")?,
        peak_rss_kib: status_kib(&status, "VmHWM:")?,
        fds,
    })
}

/// Growth bounds, relative to the first sample after warm-up. Generous on
/// purpose: allocator caches and connection churn move these numbers; a
/// leak per request grows without bound and crosses them in a long run.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Peak RSS may grow by this factor plus [`Bounds::rss_slack_kib`].
    pub rss_factor: f64,
    pub rss_slack_kib: u64,
    /// Open descriptors may exceed the baseline by this many (in-flight
    /// connections of the workload come and go).
    pub fd_slack: usize,
}

impl Bounds {
    pub const DEFAULT: Bounds = Bounds {
        rss_factor: 1.5,
        rss_slack_kib: 32 * 1024,
        fd_slack: 64,
    };

    /// Why `now` grew too much over `base`, if it did.
    pub fn violation(&self, base: &Sample, now: &Sample) -> Option<String> {
        let rss_limit = (base.peak_rss_kib as f64 * self.rss_factor) as u64 + self.rss_slack_kib;
        if now.peak_rss_kib > rss_limit {
            return Some(format!(
                "peak RSS grew from {} KiB to {} KiB (bound {rss_limit} KiB)",
                base.peak_rss_kib, now.peak_rss_kib
            ));
        }
        if now.fds > base.fds + self.fd_slack {
            return Some(format!(
                "open descriptors grew from {} to {} (bound {})",
                base.fds,
                now.fds,
                base.fds + self.fd_slack
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(peak: u64, fds: usize) -> Sample {
        Sample {
            at: Duration::ZERO,
            rss_kib: peak,
            peak_rss_kib: peak,
            fds,
        }
    }

    #[test]
    fn bounds_flag_memory_and_descriptor_growth() {
        let b = Bounds::DEFAULT;
        let base = s(40_000, 20);
        assert!(b.violation(&base, &s(60_000, 40)).is_none());
        assert!(b
            .violation(&base, &s(40_000 * 3 / 2 + 32 * 1024 + 1, 20))
            .is_some());
        assert!(b.violation(&base, &s(40_000, 20 + 65)).is_some());
    }

    #[test]
    fn samples_this_process() {
        let me = sample(std::process::id(), Duration::ZERO).unwrap();
        assert!(me.rss_kib > 0 && me.peak_rss_kib >= me.rss_kib && me.fds >= 3);
    }
}
