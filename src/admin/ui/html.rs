//! HTML building blocks of the usage page: escaping, the page frame and
//! tables. Everything is rendered on the server into one string; the page
//! loads nothing but `/ui/style.css` (the CSP allows nothing else).

use std::fmt::Write;

/// Escapes text for an HTML text node or a double-quoted attribute.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The navigation, in page order: (path, title).
pub(crate) const NAV: [(&str, &str); 6] = [
    ("/ui/", "Overview"),
    ("/ui/holds", "Open holds"),
    ("/ui/sessions", "Live sessions"),
    ("/ui/journal", "Journal"),
    ("/ui/reports", "Spend report"),
    ("/ui/config", "Configuration"),
];

/// A whole page. `csrf` is the session's token for the sign-out form;
/// `None` renders the frame without navigation (the sign-in page).
pub(crate) fn page(title: &str, current: &str, csrf: Option<&str>, body: &str) -> String {
    let mut nav = String::new();
    if let Some(csrf) = csrf {
        nav.push_str("<nav>");
        for (path, name) in NAV {
            let here = if path == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(nav, "<a href=\"{path}\"{here}>{name}</a>");
        }
        let _ = write!(
            nav,
            "<form method=\"post\" action=\"/ui/logout\" class=\"logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Sign out</button></form></nav>",
            esc(csrf)
        );
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · heygen-gateway</title>\
         <link rel=\"stylesheet\" href=\"/ui/style.css\"></head>\
         <body><header><h1>heygen-gateway</h1>{nav}</header>\
         <main><h2>{t}</h2>{body}</main></body></html>",
        t = esc(title)
    )
}

/// A table from a header and rows of already-escaped cells.
pub(crate) fn table(id: &str, head: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table id=\"{}\"><thead><tr>", esc(id));
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\" class=\"empty\">none</td></tr>",
            head.len()
        );
    }
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A `<select>` named `name` with `options` (value, label), `selected` marked.
pub(crate) fn select(name: &str, options: &[(String, String)], selected: &str) -> String {
    let mut out = format!("<select name=\"{}\">", esc(name));
    for (value, label) in options {
        let sel = if value == selected { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(value),
            esc(label)
        );
    }
    out.push_str("</select>");
    out
}

/// The stylesheet: served as a file so the CSP can forbid inline styles.
pub(crate) const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}\
header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#1b1f24;color:#fff}\
header h1{font-size:16px;margin:0}\
nav{display:flex;gap:14px;align-items:center;flex-wrap:wrap}\
nav a{color:#cfd6de;text-decoration:none}nav a[aria-current]{color:#fff;font-weight:600}\
.logout{margin:0}.logout button{background:none;border:1px solid #cfd6de;color:#cfd6de;border-radius:4px;cursor:pointer}\
main{padding:16px 24px;max-width:1400px}\
h2{margin-top:0}h3{margin:24px 0 8px}\
table{border-collapse:collapse;background:#fff;margin-bottom:16px;width:100%}\
th,td{border-bottom:1px solid #e3e6ea;padding:5px 8px;text-align:left;vertical-align:middle}\
th{background:#eef0f3;font-weight:600}td.num,th.num{text-align:right}\
.empty{color:#6b7480;font-style:italic}\
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;background:#e3e6ea}\
.badge.shadow{background:#fde9b8}.badge.off{background:#f4c7c7}\
.cards{display:flex;flex-direction:column;gap:16px}\
.split{display:grid;grid-template-columns:minmax(0,1fr) 500px;gap:16px;align-items:start}\
.split table{margin:0}.split td{white-space:nowrap}.chart h4{margin:0 0 4px}\
.card{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:12px}\
.card h3{margin:0 0 8px}\
form.filters{display:flex;gap:12px;align-items:end;flex-wrap:wrap;margin-bottom:12px}\
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#4a525c}\
.signin{max-width:360px;background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:16px}\
.signin input{width:100%;box-sizing:border-box;margin:6px 0 12px;padding:6px}\
.error{color:#a61b1b}.muted{color:#6b7480}\
pre{background:#fff;border:1px solid #e3e6ea;padding:12px;overflow:auto}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            crate::http::percent_encode("a b&c=d/é"),
            "a%20b%26c%3Dd%2F%C3%A9"
        );
    }

    #[test]
    fn pages_load_only_the_stylesheet() {
        let p = page("Overview", "/ui/", Some("tok\"en"), "<p>x</p>");
        assert!(p.contains("value=\"tok&quot;en\""));
        assert!(p.contains("aria-current=\"page\">Overview"));
        assert!(!p.contains("<script"));
        assert!(!p.contains(" style="));
        assert_eq!(p.matches("href=\"/ui/style.css\"").count(), 1);
        let signin = page("Sign in", "", None, "");
        assert!(!signin.contains("<nav>"));
        assert!(table("t", &["a"], &[]).contains("none"));
    }
}
