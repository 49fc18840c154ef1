//! Money is integer micro-credits everywhere: one credit = 1_000_000 micros.
//! Floats appear only at the edges (config input, metrics, display); no float
//! arithmetic ever decides whether a budget has room.

/// Integer micro-credits. Signed: a budget may go negative after an overage.
pub type Micros = i64;

/// Micro-credits in one credit.
pub const MICROS_PER_CREDIT: Micros = 1_000_000;

/// Converts a credit amount from configuration (TOML allows `12` or `12.5`)
/// into micro-credits, rounding to the nearest micro. Returns `None` for
/// non-finite or out-of-range values so config validation can name the key.
pub fn credits_to_micros(credits: f64) -> Option<Micros> {
    if !credits.is_finite() {
        return None;
    }
    let micros = (credits * MICROS_PER_CREDIT as f64).round();
    // 2^53 keeps the conversion exact and far above any real budget.
    if micros.abs() > 9_007_199_254_740_992.0 {
        return None;
    }
    Some(micros as Micros)
}

/// Credits as a float, for metrics and JSON only.
pub fn micros_to_credits(micros: Micros) -> f64 {
    micros as f64 / MICROS_PER_CREDIT as f64
}

/// Exact decimal rendering (`"12.5"`, `"-0.000001"`) for headers and tables.
pub fn format_credits(micros: Micros) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let whole = abs / MICROS_PER_CREDIT as u64;
    let frac = abs % MICROS_PER_CREDIT as u64;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:06}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_formats_exactly() {
        assert_eq!(credits_to_micros(0.1), Some(100_000));
        assert_eq!(credits_to_micros(5000.0), Some(5_000_000_000));
        assert_eq!(credits_to_micros(f64::NAN), None);
        assert_eq!(format_credits(12_500_000), "12.5");
        assert_eq!(format_credits(-1), "-0.000001");
        assert_eq!(format_credits(3_000_000), "3");
    }
}
