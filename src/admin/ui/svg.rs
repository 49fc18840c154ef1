//! Inline SVG charts of the usage page: a budget bar and a month's
//! burn-down. Pure functions of integer credits (micro-credits) to markup;
//! colours are SVG attributes, not `style`, so the CSP needs no inline styles.

use std::fmt::Write;

use super::html::esc;
use crate::money::{format_credits, Micros};

const GREEN: &str = "#2f9e44";
const AMBER: &str = "#e8a317";
const RED: &str = "#c92a2a";

/// Colour of a used share: green below 80 %, amber below 100 %, red at or above.
fn tone(ratio: f64) -> &'static str {
    if ratio >= 1.0 {
        RED
    } else if ratio >= 0.8 {
        AMBER
    } else {
        GREEN
    }
}

/// One budget window as a bar: spent (solid) then held (light) against the
/// effective limit; a bar past its limit is drawn full and red.
pub(crate) fn bar(spent: Micros, held: Micros, limit: Micros) -> String {
    const W: f64 = 160.0;
    let share = |m: Micros| {
        if limit <= 0 {
            if m > 0 {
                1.0
            } else {
                0.0
            }
        } else {
            (m.max(0) as f64 / limit as f64).clamp(0.0, 1.0)
        }
    };
    let used = share(spent.saturating_add(held));
    let spent_w = share(spent) * W;
    let held_w = (used * W - spent_w).max(0.0);
    let ratio = if limit <= 0 {
        1.0
    } else {
        spent.saturating_add(held) as f64 / limit as f64
    };
    let color = tone(ratio);
    format!(
        "<svg class=\"bar\" width=\"{W}\" height=\"14\" viewBox=\"0 0 {W} 14\" role=\"img\" \
         aria-label=\"{pct:.0} % used\"><title>{pct:.1} % used: spent {s}, held {h} of {l}</title>\
         <rect width=\"{W}\" height=\"14\" rx=\"3\" fill=\"#e3e6ea\"/>\
         <rect width=\"{spent_w:.1}\" height=\"14\" rx=\"3\" fill=\"{color}\"/>\
         <rect x=\"{spent_w:.1}\" width=\"{held_w:.1}\" height=\"14\" fill=\"{color}\" fill-opacity=\"0.4\"/>\
         </svg>",
        pct = ratio * 100.0,
        s = format_credits(spent),
        h = format_credits(held),
        l = format_credits(limit),
    )
}

/// A month's spend for the burn-down of one scope.
#[derive(Debug, Clone)]
pub(crate) struct Month {
    /// Days in the month.
    pub days: u32,
    /// Days elapsed, with today's fraction (0 < elapsed <= days).
    pub elapsed: f64,
    /// Spend captured on each elapsed day, day 1 first (today last).
    pub daily: Vec<Micros>,
    /// Held now (counted against the budget, not yet spent).
    pub held: Micros,
    /// The month's effective limit, if the scope has a monthly budget.
    pub limit: Option<Micros>,
}

impl Month {
    pub(crate) fn spent(&self) -> Micros {
        self.daily.iter().fold(0, |a, d| a.saturating_add(*d))
    }

    /// Days from the start of the month at which the budget runs out at the
    /// month's pace so far (spend per elapsed day, holds counted as used):
    /// `None` without a budget or spend, `elapsed` when already out.
    pub(crate) fn exhaustion_day(&self) -> Option<f64> {
        let limit = self.limit?;
        let spent = self.spent();
        let remaining = limit.saturating_sub(spent).saturating_sub(self.held);
        if remaining <= 0 {
            return Some(self.elapsed);
        }
        if spent <= 0 || self.elapsed <= 0.0 {
            return None;
        }
        let per_day = spent as f64 / self.elapsed;
        Some(self.elapsed + remaining as f64 / per_day)
    }
}

/// The burn-down chart: what is left of the monthly budget at the end of
/// each day, the even pace (grey) and the projection to exhaustion
/// (dashed). Without a monthly budget, cumulative spend instead.
pub(crate) fn burndown(m: &Month) -> String {
    const W: f64 = 480.0;
    const H: f64 = 160.0;
    const PAD: f64 = 28.0;
    let mut cum = Vec::with_capacity(m.daily.len() + 1);
    let mut acc: Micros = 0;
    cum.push(0);
    for d in &m.daily {
        acc = acc.saturating_add(*d);
        cum.push(acc);
    }
    // y values in micro-credits: remaining (with a budget) or spend.
    let ys: Vec<Micros> = match m.limit {
        Some(l) => cum.iter().map(|c| l.saturating_sub(*c)).collect(),
        None => cum.clone(),
    };
    let highest = ys.iter().copied().chain(m.limit).max().unwrap_or(0);
    // An idle scope without a budget still gets a scale (1 micro-credit),
    // labelled 0.
    let top = highest.max(1);
    let bottom = ys.iter().copied().min().unwrap_or(0).min(0);
    let days = f64::from(m.days.max(1));
    let x = |day: f64| PAD + day.clamp(0.0, days) / days * (W - 2.0 * PAD);
    let y = |v: Micros| {
        let span = (top - bottom).max(1) as f64;
        H - PAD + -((v - bottom) as f64 / span) * (H - 2.0 * PAD)
    };
    let mut out = format!(
        "<svg class=\"burndown\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">"
    );
    let title = match (m.limit, m.exhaustion_day()) {
        (None, _) => format!("No monthly budget; {} spent", format_credits(m.spent())),
        (Some(l), _) => format!(
            "Monthly budget {}: {} spent, {} held",
            format_credits(l),
            format_credits(m.spent()),
            format_credits(m.held)
        ),
    };
    let _ = write!(out, "<title>{}</title>", esc(&title));
    // Axes: the zero line and the month's span.
    let _ = write!(
        out,
        "<line x1=\"{PAD}\" y1=\"{z:.1}\" x2=\"{e:.1}\" y2=\"{z:.1}\" stroke=\"#9aa3ad\"/>\
         <text x=\"{PAD}\" y=\"{b:.1}\" font-size=\"10\" fill=\"#6b7480\">1</text>\
         <text x=\"{e:.1}\" y=\"{b:.1}\" font-size=\"10\" fill=\"#6b7480\" text-anchor=\"end\">{d}</text>\
         <text x=\"2\" y=\"{t:.1}\" font-size=\"10\" fill=\"#6b7480\">{top}</text>",
        z = y(0),
        e = x(days),
        b = H - 8.0,
        d = m.days,
        t = PAD - 4.0,
        top = esc(&format_credits(highest.max(0))),
    );
    if let Some(l) = m.limit {
        // Even pace: the whole budget spread over the month.
        let _ = write!(
            out,
            "<line class=\"pace\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c5cbd3\" stroke-dasharray=\"2 3\"/>",
            x(0.0),
            y(l),
            x(days),
            y(0)
        );
    }
    // Actual: one point per day boundary; the last one is now.
    let mut pts = String::new();
    for (i, v) in ys.iter().enumerate() {
        let day = (i as f64).min(m.elapsed);
        let _ = write!(pts, "{:.1},{:.1} ", x(day), y(*v));
    }
    let _ = write!(
        out,
        "<polyline class=\"actual\" points=\"{}\" fill=\"none\" stroke=\"#1c7ed6\" stroke-width=\"2\"/>",
        pts.trim_end()
    );
    if let (Some(l), Some(end)) = (m.limit, m.exhaustion_day()) {
        let now_v = l.saturating_sub(m.spent()).saturating_sub(m.held);
        let (to_day, to_v) = if end > days {
            // Beyond the month: draw to the month's end at the same pace.
            let frac = (days - m.elapsed) / (end - m.elapsed).max(f64::EPSILON);
            (days, now_v - (now_v as f64 * frac) as Micros)
        } else {
            (end, 0)
        };
        let _ = write!(
            out,
            "<line class=\"projection\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{RED}\" stroke-dasharray=\"5 4\"/>",
            x(m.elapsed),
            y(now_v),
            x(to_day),
            y(to_v)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Micros = 1_000_000;

    #[test]
    fn bars_fill_by_share_and_turn_red_past_the_limit() {
        let half = bar(4 * C, C, 10 * C);
        assert!(half.contains("width=\"64.0\""), "{half}"); // 4/10 of 160
        assert!(half.contains(GREEN));
        assert!(bar(8 * C, 0, 10 * C).contains(AMBER));
        let over = bar(12 * C, 0, 10 * C);
        assert!(
            over.contains(RED) && over.contains("width=\"160.0\""),
            "{over}"
        );
        assert!(bar(0, 0, 0).contains("100 % used"));
    }

    #[test]
    fn exhaustion_follows_the_pace_so_far() {
        let m = Month {
            days: 30,
            elapsed: 10.0,
            daily: vec![2 * C; 10],
            held: 0,
            limit: Some(100 * C),
        };
        // 20 spent in 10 days: 2 a day, 80 left → day 50 (after the month).
        assert_eq!(m.exhaustion_day(), Some(50.0));
        let tight = Month {
            held: 60 * C,
            ..m.clone()
        };
        assert_eq!(tight.exhaustion_day(), Some(20.0));
        let out = Month {
            held: 90 * C,
            ..m.clone()
        };
        assert_eq!(out.exhaustion_day(), Some(10.0));
        assert_eq!(
            Month {
                limit: None,
                ..m.clone()
            }
            .exhaustion_day(),
            None
        );
        let idle = Month {
            daily: vec![0; 10],
            ..m
        };
        assert_eq!(idle.exhaustion_day(), None);
    }

    #[test]
    fn burndown_draws_actual_pace_and_projection() {
        let m = Month {
            days: 30,
            elapsed: 3.5,
            daily: vec![10 * C, 20 * C, 5 * C, 0],
            held: 0,
            limit: Some(100 * C),
        };
        let svg = burndown(&m);
        assert_eq!(svg.matches("class=\"actual\"").count(), 1);
        assert!(svg.contains("class=\"pace\"") && svg.contains("class=\"projection\""));
        // Five points: the month's start and four day boundaries.
        let pts = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(pts.split(' ').count(), 5);
        let no_budget = burndown(&Month { limit: None, ..m });
        assert!(no_budget.contains("No monthly budget"));
        assert!(!no_budget.contains("projection"));
    }
}
