//! The config a test gateway runs with: [`TestConfig`] builds the TOML
//! (sections of `key = value`, tenants as [`TenantSpec`]s, extra tables) so
//! each test overrides only the keys it is about.

use std::collections::BTreeMap;

use heygen_gateway::config::Config;
use heygen_mock::MockHeygen;

use super::{key_hash, tenant_token, TENANTS};

/// One `[[tenants]]` entry.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub id: String,
    pub enabled: bool,
    /// Config key hashes (`sha256:…`).
    pub keys: Vec<String>,
    /// Inline-table body, e.g. `daily = 50, monthly = 600`.
    pub budgets: Option<String>,
    /// Inline-table body, e.g. `requests_per_minute = 120, burst = 20`.
    pub limits: Option<String>,
    /// Further `key = value` lines, verbatim.
    pub lines: Vec<String>,
}

impl TenantSpec {
    /// An enabled tenant holding the key [`tenant_token`]`(id)`, no budgets.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            enabled: true,
            keys: vec![key_hash(&tenant_token(id))],
            budgets: None,
            limits: None,
            lines: Vec::new(),
        }
    }

    fn to_toml(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(|k| format!("{k:?}")).collect();
        let mut out = format!(
            "\n[[tenants]]\nid = {:?}\nname = \"Tenant {}\"\nenabled = {}\nkeys = [{}]\n",
            self.id,
            self.id,
            self.enabled,
            keys.join(", ")
        );
        if let Some(b) = &self.budgets {
            out.push_str(&format!("budgets = {{ {b} }}\n"));
        }
        if let Some(l) = &self.limits {
            out.push_str(&format!("limits = {{ {l} }}\n"));
        }
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// Builds the TOML a test gateway runs with: loopback listeners on port 0,
/// upstreams pointing at the mock, a SQLite ledger in a temp dir, three
/// tenants. Sections are `key = value` maps so tests override single keys.
pub struct TestConfig {
    pub dir: tempfile::TempDir,
    sections: BTreeMap<String, BTreeMap<String, String>>,
    pub tenants: Vec<TenantSpec>,
    extra: String,
}

impl TestConfig {
    /// Defaults with both upstream URLs set to `upstream_url` (any URL: a dead
    /// port makes an "upstream down" test).
    pub fn new(upstream_url: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ledger.db");
        let mut cfg = Self {
            dir,
            sections: BTreeMap::new(),
            tenants: TENANTS.iter().map(|id| TenantSpec::new(id)).collect(),
            extra: String::new(),
        };
        cfg = cfg
            .set("server", "listen", "\"127.0.0.1:0\"")
            .set("server", "admin_listen", "\"127.0.0.1:0\"")
            .set("server", "shutdown_grace_seconds", "5")
            .set("upstream", "api_url", &format!("{upstream_url:?}"))
            .set("upstream", "upload_url", &format!("{upstream_url:?}"))
            .set("upstream", "api_key_env", "\"HEYGEN_API_KEY\"")
            .set(
                "store",
                "url",
                &format!("{:?}", format!("sqlite://{}", db.display())),
            )
            .set("webhooks", "secret_env", "\"HEYGEN_WEBHOOK_SECRET\"")
            // The quota poll would add requests the tests count on the mock.
            .set("metrics", "quota_poll_seconds", "0");
        cfg
    }

    /// Defaults pointing at `mock`, trusting the test CA (`tests/data/tls`)
    /// when it serves HTTPS ([`start_mock_tls`](super::start_mock_tls)).
    pub fn for_mock(mock: &MockHeygen) -> Self {
        let url = mock.url();
        let cfg = Self::new(&url);
        if !url.starts_with("https://") {
            return cfg;
        }
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls/ca.pem");
        cfg.set("upstream", "ca_file", &format!("{ca:?}"))
    }

    /// Sets `key = value` (value is TOML, quote strings) in `[section]`
    /// (dotted sections like `org.budgets` work).
    pub fn set(mut self, section: &str, key: &str, value: &str) -> Self {
        self.sections
            .entry(section.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Removes a key set by default.
    pub fn unset(mut self, section: &str, key: &str) -> Self {
        if let Some(s) = self.sections.get_mut(section) {
            s.remove(key);
        }
        self
    }

    /// `[org.budgets]` from `key = value` pairs, e.g. `&[("monthly", "5000")]`.
    pub fn org_budgets(mut self, pairs: &[(&str, &str)]) -> Self {
        for (k, v) in pairs {
            self = self.set("org.budgets", k, v);
        }
        self
    }

    /// Changes the tenant `id` (which must exist).
    pub fn tenant(mut self, id: &str, f: impl FnOnce(&mut TenantSpec)) -> Self {
        let t = self
            .tenants
            .iter_mut()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("no tenant {id:?} in the test config"));
        f(t);
        self
    }

    /// Tenant budgets as an inline-table body: `"daily = 50, monthly = 600"`.
    pub fn tenant_budgets(self, id: &str, budgets: &str) -> Self {
        self.tenant(id, |t| t.budgets = Some(budgets.to_string()))
    }

    /// Tenant limits as an inline-table body.
    pub fn tenant_limits(self, id: &str, limits: &str) -> Self {
        self.tenant(id, |t| t.limits = Some(limits.to_string()))
    }

    pub fn disable_tenant(self, id: &str) -> Self {
        self.tenant(id, |t| t.enabled = false)
    }

    pub fn add_tenant(mut self, spec: TenantSpec) -> Self {
        self.tenants.push(spec);
        self
    }

    /// TOML appended verbatim after everything else (new tables only).
    pub fn extra(mut self, toml: &str) -> Self {
        self.extra.push('\n');
        self.extra.push_str(toml);
        self
    }

    /// The config file text.
    pub fn toml(&self) -> String {
        let mut out = String::new();
        for (section, keys) in &self.sections {
            out.push_str(&format!("[{section}]\n"));
            for (k, v) in keys {
                out.push_str(&format!("{k} = {v}\n"));
            }
            out.push('\n');
        }
        for t in &self.tenants {
            out.push_str(&t.to_toml());
        }
        out.push_str(&self.extra);
        out
    }

    /// Parses the TOML, panicking with every config error and the text.
    pub fn config(&self) -> Config {
        let text = self.toml();
        Config::from_toml(&text)
            .unwrap_or_else(|e| panic!("test config is invalid:\n{e}\n--- config ---\n{text}"))
    }
}
