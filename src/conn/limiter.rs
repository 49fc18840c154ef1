//! Admission of connections: a total cap per listener and a cap per client
//! address, checked at accept. Over either cap the connection is shed at
//! once (a fixed 503, then close), so established tenants keep their
//! descriptors and a single address cannot take the whole budget.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Which cap refused a connection (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    Total,
    PerIp,
}

impl Shed {
    pub fn as_str(self) -> &'static str {
        match self {
            Shed::Total => "total",
            Shed::PerIp => "per_ip",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    // Only addresses with a connection open are kept, so the map is bounded
    // by the total cap however many addresses come and go.
    per_ip: HashMap<IpAddr, usize>,
}

/// Counts open connections; cheap to clone (one shared table).
#[derive(Debug, Clone)]
pub struct ConnLimiter {
    max_total: usize,
    max_per_ip: usize,
    counts: Arc<Mutex<Counts>>,
}

impl ConnLimiter {
    pub fn new(max_total: usize, max_per_ip: usize) -> ConnLimiter {
        ConnLimiter {
            max_total,
            max_per_ip,
            counts: Arc::default(),
        }
    }

    /// Admits a connection from `ip`, or says which cap it hit. The permit
    /// gives the slot back when dropped (when the connection task ends).
    pub fn try_acquire(&self, ip: IpAddr) -> Result<ConnPermit, Shed> {
        // The lock guards plain counters; a panic elsewhere cannot leave
        // them half-updated, so a poisoned lock is still usable.
        let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if c.total >= self.max_total {
            return Err(Shed::Total);
        }
        let n = c.per_ip.entry(ip).or_insert(0);
        if *n >= self.max_per_ip {
            return Err(Shed::PerIp);
        }
        *n += 1;
        c.total += 1;
        Ok(ConnPermit {
            ip,
            counts: self.counts.clone(),
        })
    }

    /// Connections currently admitted.
    pub fn open(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

/// One admitted connection's slot.
#[derive(Debug)]
pub struct ConnPermit {
    ip: IpAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn per_address_cap_leaves_room_for_others() {
        let l = ConnLimiter::new(10, 2);
        let a1 = l.try_acquire(ip(1)).unwrap();
        let _a2 = l.try_acquire(ip(1)).unwrap();
        assert_eq!(l.try_acquire(ip(1)).unwrap_err(), Shed::PerIp);
        let _b = l.try_acquire(ip(2)).expect("another address is admitted");
        drop(a1);
        let _a3 = l.try_acquire(ip(1)).expect("a freed slot is reusable");
        assert_eq!(l.open(), 3);
    }

    #[test]
    fn total_cap_and_release() {
        let l = ConnLimiter::new(2, 5);
        let p1 = l.try_acquire(ip(1)).unwrap();
        let p2 = l.try_acquire(ip(2)).unwrap();
        assert_eq!(l.try_acquire(ip(3)).unwrap_err(), Shed::Total);
        drop((p1, p2));
        assert_eq!(l.open(), 0);
        assert!(
            l.counts.lock().unwrap().per_ip.is_empty(),
            "no stale entries"
        );
        assert!(l.try_acquire(ip(3)).is_ok());
    }
}
