//! Uploaded assets' lengths: recorded once per asset id (the first record
//! is kept), read back in one bounded query, kept across a reopen and seen
//! by another replica.

use heygen_gateway::ledger::*;

use crate::Fixture;

fn media(id: &str, duration_ms: Option<u64>) -> AssetMedia {
    AssetMedia {
        asset_id: id.to_string(),
        tenant: "alpha".to_string(),
        size_bytes: 116_844,
        duration_ms,
        container: duration_ms.map(|_| "wav".to_string()),
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

pub async fn asset_lengths_are_recorded_once_and_survive_reopen(f: Fixture) {
    let wav = media("as-wav", Some(7_300));
    let png = media("as-png", None);
    f.ledger.record_asset_media(&wav).await.unwrap();
    f.ledger.record_asset_media(&png).await.unwrap();
    // A repeat (another replica, a retried answer) keeps the first record.
    let mut later = media("as-wav", Some(1));
    later.tenant = "beta".into();
    f.ledger.record_asset_media(&later).await.unwrap();

    let mut got = f
        .ledger
        .asset_media(&ids(&["as-png", "as-wav", "never-uploaded"]))
        .await
        .unwrap();
    got.sort_by(|a, b| a.asset_id.cmp(&b.asset_id));
    assert_eq!(got, vec![png.clone(), wav.clone()]);
    assert!(f.ledger.asset_media(&[]).await.unwrap().is_empty());

    let f = f.reopen().await;
    let other = f.open_again().await;
    assert_eq!(
        other.asset_media(&ids(&["as-wav"])).await.unwrap(),
        vec![wav]
    );

    // One query reads at most MAX_ASSET_LOOKUP ids; the first ones count.
    let mut many: Vec<String> = (0..MAX_ASSET_LOOKUP + 10)
        .map(|i| format!("x{i:03}"))
        .collect();
    many.push("as-png".into());
    assert!(f.ledger.asset_media(&many).await.unwrap().is_empty());
    many.rotate_right(1);
    assert_eq!(f.ledger.asset_media(&many).await.unwrap(), vec![png]);
}
