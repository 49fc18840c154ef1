//! A small W3C WebDriver client for the usage-page tests: Debian's
//! `chromedriver` driving Debian's `chromium` headless. Only the commands
//! the tests need; every failure panics with what was asked.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::send;

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            PathBuf::from("/usr/bin"),
            PathBuf::from("/usr/lib/chromium"),
        ])
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A running chromedriver; killed on drop.
pub struct Driver {
    child: Child,
    base: String,
}

impl Driver {
    /// Starts chromedriver on a free loopback port; panics (never skips)
    /// when chromium or chromedriver is missing.
    pub async fn start() -> Driver {
        let driver = find_binary(&["chromedriver"]).unwrap_or_else(|| {
            panic!("chromedriver not found: install Debian's chromium-driver (apt-get install chromium chromium-driver)")
        });
        assert!(
            find_binary(&["chromium", "chromium-browser"]).is_some(),
            "chromium not found: install Debian's chromium (apt-get install chromium chromium-driver)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if let Ok(r) = crate::common::try_send(
                "GET",
                &format!("{}/status", d.base),
                &[],
                crate::common::full(""),
                false,
            )
            .await
            {
                if r.json()["value"]["ready"] == true {
                    return d;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready on port {port}");
    }

    /// A new headless browser session.
    pub async fn session(&self) -> Browser {
        let chromium = find_binary(&["chromium", "chromium-browser"]).expect("chromium");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1400"]
            }
        }}});
        let v = call(&format!("{}/session", self.base), "POST", caps).await;
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        let b = Browser {
            url: format!("{}/session/{id}", self.base),
        };
        // Element look-ups wait for the page a click or submit navigated to.
        b.cmd("POST", "/timeouts", json!({"implicit": 5000})).await;
        b
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(url: &str, method: &str, body: Value) -> Value {
    let body = if method == "GET" || method == "DELETE" {
        String::new()
    } else {
        body.to_string()
    };
    let r = send(method, url, &[("content-type", "application/json")], body).await;
    let v = r.json();
    assert_eq!(r.status, 200, "{method} {url}: {v}");
    v["value"].clone()
}

/// One browser session.
pub struct Browser {
    url: String,
}

impl Browser {
    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        call(&format!("{}{path}", self.url), method, body).await
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url })).await;
    }

    /// Waits until the page's URL ends with `suffix` (a click's navigation
    /// may still be under way); panics with the URL after 5 s.
    pub async fn wait_url(&self, suffix: &str) {
        for _ in 0..100 {
            if self.current_url().await.ends_with(suffix) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("URL {} never ended with {suffix}", self.current_url().await);
    }

    pub async fn current_url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.cmd("GET", "/source", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The first element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        let v = self
            .cmd(
                "POST",
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_array().map_or(0, Vec::len)
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        let v = self
            .cmd("GET", &format!("/element/{el}/text"), Value::Null)
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    pub async fn attribute(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        let v = self
            .cmd(
                "GET",
                &format!("/element/{el}/attribute/{name}"),
                Value::Null,
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("/element/{el}/clear"), json!({}))
            .await;
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("/element/{el}/click"), json!({}))
            .await;
    }

    /// Every cookie the browser holds for the current page (HttpOnly too).
    pub async fn cookies(&self) -> Vec<Value> {
        self.cmd("GET", "/cookie", Value::Null)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The browser console since the last call (CSP violations land here).
    pub async fn console(&self) -> Vec<String> {
        let v = self
            .cmd("POST", "/se/log", json!({"type": "browser"}))
            .await;
        v.as_array()
            .into_iter()
            .flatten()
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Saves a PNG of the viewport at `path`.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.cmd("GET", "/screenshot", Value::Null).await;
        let png = base64_decode(v.as_str().expect("base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("screenshot dir");
        std::fs::write(path, png).expect("write screenshot");
    }

    pub async fn quit(self) {
        call(&self.url, "DELETE", Value::Null).await;
    }
}

/// Standard base64 (WebDriver's screenshot encoding).
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_round_trip() {
    assert_eq!(base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
}
