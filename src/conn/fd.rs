//! File-descriptor budget at start. Every connection costs a descriptor (a
//! proxied request another, for the upstream connection), so a connection
//! cap above the process's descriptor limit is no cap at all: accept fails
//! with EMFILE first, for everyone. The soft limit is raised to the hard
//! limit, and a cap the limit cannot cover is reported.

/// Descriptors kept aside for the ledger, the upstream pool, the admin
/// listener, config and log files.
pub(super) const FD_HEADROOM: u64 = 1024;

/// What the start-up check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft `RLIMIT_NOFILE` after raising it (`None`: unknown platform).
    pub limit: Option<u64>,
    /// Descriptors the configured connection caps may need.
    pub needed: u64,
}

impl FdBudget {
    /// True when the limit cannot cover the caps.
    pub fn short(&self) -> bool {
        self.limit.is_some_and(|l| l < self.needed)
    }
}

/// Descriptors `max_connections` tenant connections may need: one each plus
/// the headroom (upstream connections are pooled and far fewer).
pub(super) fn needed(max_connections: usize) -> u64 {
    (max_connections as u64).saturating_add(FD_HEADROOM)
}

/// Raises the soft descriptor limit to the hard one and warns when the
/// connection caps could still exhaust it (the gateway keeps running: the
/// caps then shed load, and accept errors back off).
pub fn check_fd_budget(max_connections: usize) -> FdBudget {
    let needed = needed(max_connections);
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "Could not read or raise the file-descriptor limit.");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    };
    let budget = FdBudget { limit, needed };
    if budget.short() {
        tracing::warn!(
            fd_limit = limit.unwrap_or_default(),
            needed,
            max_connections,
            "The file-descriptor limit is below what server.max_connections may need; lower server.max_connections or raise the hard limit (ulimit -Hn, LimitNOFILE=)."
        );
    } else {
        tracing::debug!(
            fd_limit = limit.unwrap_or_default(),
            needed,
            "File-descriptor budget is sufficient."
        );
    }
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_counts_both_sides_and_headroom() {
        assert_eq!(needed(10_000), 11_024);
        assert!(FdBudget {
            limit: Some(8192),
            needed: needed(10_000)
        }
        .short());
        assert!(!FdBudget {
            limit: Some(1 << 20),
            needed: needed(10_000)
        }
        .short());
        assert!(!FdBudget {
            limit: None,
            needed: 1
        }
        .short());
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        let b = check_fd_budget(1);
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(b.limit, Some(soft));
        assert!(soft == hard || hard == rlimit::INFINITY, "{soft} {hard}");
    }
}
