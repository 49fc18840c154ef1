//! The videos a Video Agent v3 session produced, as
//! `GET /v3/video-agents/{session_id}/videos` lists them (heygen-cli
//! gen/video-agent.go): `{data: [{id, status, duration, created_at,
//! video_url, …}], has_more, next_token}`, newest first, paged by `token`.
//! Pure, and tolerant like the rest of `jobs`: an item without a usable id
//! is skipped rather than guessed at. The binder (`settlement::agents`)
//! fetches the pages.

use serde_json::Value;

use super::safe_id;

/// Videos asked for per page (HeyGen's v3 lists take 1–100).
pub(crate) const VIDEOS_PAGE_LIMIT: u32 = 50;

/// Longest pagination token followed; HeyGen's are short opaque strings.
const MAX_TOKEN_LEN: usize = 1024;

/// One video of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentVideo {
    pub(crate) id: String,
    /// Unix seconds; `None` when HeyGen gives none (nullable).
    pub(crate) created_at: Option<i64>,
}

/// One page of a session's videos, in HeyGen's order (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VideosPage {
    pub(crate) videos: Vec<AgentVideo>,
    /// The next page's token, when HeyGen says there is more.
    pub(crate) next_token: Option<String>,
}

/// `path?query` of a page of `session_id`'s videos (`token` from the
/// previous page).
pub(crate) fn videos_path(session_id: &str, token: Option<&str>) -> String {
    let mut path = format!("/v3/video-agents/{session_id}/videos?limit={VIDEOS_PAGE_LIMIT}");
    if let Some(token) = token {
        path.push_str("&token=");
        path.push_str(&crate::http::percent_encode(token));
    }
    path
}

/// A page of videos from a 2xx answer; `None` when the body is not a video
/// list (an error envelope, another shape).
pub(crate) fn videos_page(body: &[u8]) -> Option<VideosPage> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let root = v.as_object()?;
    if root.get("error").is_some_and(|e| !e.is_null()) {
        return None;
    }
    // The list is `data`; tolerate it nested as `data.videos` with the
    // pagination fields beside it.
    let (items, meta) = match root.get("data")? {
        Value::Array(items) => (items, root),
        Value::Object(d) => (d.get("videos")?.as_array()?, d),
        _ => return None,
    };
    let videos = items.iter().filter_map(video).collect();
    let more = meta.get("has_more").and_then(Value::as_bool) != Some(false);
    let next_token = meta
        .get("next_token")
        .and_then(Value::as_str)
        .filter(|t| more && !t.is_empty() && t.len() <= MAX_TOKEN_LEN)
        .map(str::to_owned);
    Some(VideosPage { videos, next_token })
}

fn video(item: &Value) -> Option<AgentVideo> {
    let o = item.as_object()?;
    let id = ["id", "video_id"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .filter(|id| safe_id(id))?;
    let created_at = o.get("created_at").and_then(|c| {
        c.as_i64().or_else(|| {
            c.as_f64()
                .filter(|s| s.is_finite() && s.abs() < 1e15)
                .map(|s| s as i64)
        })
    });
    Some(AgentVideo {
        id: id.to_owned(),
        created_at,
    })
}

/// The videos of all pages read (each newest first) oldest first: by
/// `created_at` (none counts as newest: HeyGen has not dated it yet), ties
/// in HeyGen's own order reversed, since `created_at` is in whole seconds
/// and its order says which came first. A video listed twice (the list
/// moved between pages) is kept once.
pub(crate) fn oldest_first(newest_first: Vec<AgentVideo>) -> Vec<AgentVideo> {
    let mut seen = std::collections::HashSet::new();
    let mut videos: Vec<AgentVideo> = newest_first
        .into_iter()
        .filter(|v| seen.insert(v.id.clone()))
        .collect();
    videos.reverse();
    // Stable: equal times keep the reversed listing order.
    videos.sort_by_key(|v| v.created_at.unwrap_or(i64::MAX));
    videos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(videos: &[AgentVideo]) -> Vec<&str> {
        videos.iter().map(|v| v.id.as_str()).collect()
    }

    #[test]
    fn a_page_lists_usable_videos_and_its_next_token() {
        let body = br#"{"data": [
            {"id": "v3", "status": "pending", "duration": null, "created_at": null},
            {"id": "v2", "status": "completed", "duration": 61.5, "created_at": 1700000100},
            {"id": "../v", "status": "completed", "created_at": 1700000050},
            {"status": "completed", "created_at": 1700000040},
            "junk",
            {"id": "v1", "status": "failed", "created_at": 1700000000.7}
        ], "has_more": true, "next_token": "a+b/c="}"#;
        let page = videos_page(body).unwrap();
        assert_eq!(ids(&page.videos), ["v3", "v2", "v1"]);
        assert_eq!(page.videos[0].created_at, None);
        assert_eq!(page.videos[2].created_at, Some(1_700_000_000));
        assert_eq!(page.next_token.as_deref(), Some("a+b/c="));
        assert_eq!(
            videos_path("s1", page.next_token.as_deref()),
            "/v3/video-agents/s1/videos?limit=50&token=a%2Bb%2Fc%3D"
        );
    }

    #[test]
    fn the_last_page_has_no_token_and_errors_no_page() {
        let last = br#"{"data": [], "has_more": false, "next_token": "x"}"#;
        assert_eq!(videos_page(last).unwrap().next_token, None);
        let nested =
            br#"{"data": {"videos": [{"id": "v1"}], "has_more": true, "next_token": "n"}}"#;
        let page = videos_page(nested).unwrap();
        assert_eq!(
            (ids(&page.videos), page.next_token.as_deref()),
            (vec!["v1"], Some("n"))
        );
        for bad in [
            &br#"{"error": {"code": "not_found"}, "data": null}"#[..],
            b"{\"data\": {\"id\": \"v1\"}}",
            b"[]",
            b"not json",
        ] {
            assert_eq!(videos_page(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn videos_are_ordered_oldest_first_with_ties_in_heygens_order() {
        let v = |id: &str, at: Option<i64>| AgentVideo {
            id: id.into(),
            created_at: at,
        };
        // Newest first as HeyGen lists them: c and b share a second.
        let listed = vec![
            v("new", None),
            v("c", Some(20)),
            v("b", Some(20)),
            v("a", Some(10)),
            v("c", Some(20)),
        ];
        assert_eq!(ids(&oldest_first(listed)), ["a", "b", "c", "new"]);
    }
}
