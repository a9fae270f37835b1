//! Server-rendered SVG charts for the statistics pages, drawn with plotters' SVG backend, so the
//! pages need no JavaScript and print well. Each chart is served as `image/svg+xml` and shown
//! with an `<img>` whose text alternative names what it shows; the numbers themselves are in a
//! table beside it. Text in the SVG is escaped by the backend and drawn by the viewer's fonts.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Colours of the series, each at least 3:1 against white (WCAG 2.1, non-text contrast).
pub const PALETTE: [RGBColor; 5] = [
    RGBColor(0x1f, 0x5f, 0xa8), // blue
    RGBColor(0x2e, 0x7d, 0x32), // green
    RGBColor(0x6d, 0x4c, 0x41), // brown
    RGBColor(0xb3, 0x26, 0x1e), // red
    RGBColor(0x8a, 0x5a, 0x00), // amber
];

/// Longest category label drawn, in characters; longer ones end in an ellipsis.
const MAX_LABEL: usize = 20;
const WIDTH: u32 = 760;
const ROW: u32 = 30;
/// Width of the legend's column.
const LEGEND: u32 = 190;

/// One bar of a chart: its label and one value per series (stacked left to right).
pub struct Bar {
    /// The category.
    pub label: String,
    /// One value per series.
    pub values: Vec<f64>,
}

/// Horizontal stacked bars, one per category, with a legend naming `series`. `max` fixes the
/// scale's end (1.0 for rates shown as percentages); otherwise the largest total sets it.
pub fn stacked_bars(
    title: &str,
    bars: &[Bar],
    series: &[&str],
    max: Option<f64>,
    percent: bool,
) -> Result<String, String> {
    let n = bars.len().max(1);
    let height = (80 + ROW * n as u32).max(60 + 24 * series.len() as u32);
    let top = bars
        .iter()
        .map(|b| b.values.iter().sum::<f64>())
        .fold(0.0_f64, f64::max);
    let end = max.unwrap_or_else(|| nice_ceiling(top));
    let labels: Vec<String> = bars.iter().map(|b| short(&b.label)).collect();
    let label_width = labels
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_ascii() { 9 } else { 16 })
                .sum::<u32>()
        })
        .max()
        .unwrap_or(40)
        + 16;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(title, ("sans-serif", 20))
            .map_err(|e| e.to_string())?;
        // The legend has a column of its own on the right, so it never covers a bar.
        let legend_width = if series.len() > 1 { LEGEND } else { 0 };
        let (plot, legend) = root.split_horizontally(WIDTH - legend_width);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(label_width.min(280))
            .build_cartesian_2d(0.0..end, (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        let format_x = |x: &f64| {
            if percent {
                format!("{:.0}%", x * 100.0)
            } else if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.1}")
            }
        };
        // Bars are drawn from the top: the first bar at the highest segment.
        let row_of = |i: usize| n - 1 - i;
        let format_y = |y: &SegmentValue<usize>| match y {
            SegmentValue::CenterOf(r) if *r < n => {
                labels.get(n - 1 - r).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(1)
            .x_labels(if percent {
                6
            } else {
                (end as usize).clamp(2, 6)
            })
            .x_label_formatter(&format_x)
            .y_labels(n)
            .y_label_formatter(&format_y)
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| e.to_string())?;
        for s in 0..series.len() {
            let color = PALETTE[s % PALETTE.len()];
            chart
                .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
                    let from: f64 = b.values[..s].iter().sum();
                    let v = *b.values.get(s)?;
                    (v > 0.0).then(|| {
                        let mut bar = Rectangle::new(
                            [
                                (from, SegmentValue::Exact(row_of(i))),
                                (from + v, SegmentValue::Exact(row_of(i) + 1)),
                            ],
                            color.filled(),
                        );
                        // A gap between neighbouring bars.
                        bar.set_margin(4, 4, 0, 0);
                        bar
                    })
                }))
                .map_err(|e| e.to_string())?;
        }
        if series.len() > 1 {
            for (s, name) in series.iter().enumerate() {
                let y = 24 + 24 * s as i32;
                let color = PALETTE[s % PALETTE.len()];
                legend
                    .draw(&Rectangle::new([(8, y), (22, y + 14)], color.filled()))
                    .map_err(|e| e.to_string())?;
                legend
                    .draw(&Text::new(
                        name.to_string(),
                        (30, y),
                        ("sans-serif", 15).into_font(),
                    ))
                    .map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(with_title(svg, title))
}

/// A chart as its own response: SVG, not cached (the numbers change with every answer).
pub fn svg_response(svg: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response()
}

/// Gives the SVG a role and a title, so that it is announced as one image with a name when it
/// is opened on its own.
fn with_title(svg: String, title: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg;
    };
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "{} role=\"img\"><title>{escaped}</title>{}",
        &svg[..end],
        &svg[end + 1..]
    )
}

fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL - 1).collect();
        s.push('…');
        s
    }
}

/// A round number at or above `x` for the end of a scale: 1, 2 or 5 times a power of ten.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 1.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stacked_chart_draws_one_rectangle_per_nonzero_value_and_escapes_text() {
        let bars = vec![
            Bar {
                label: "交通<运输>局".into(),
                values: vec![3.0, 0.0, 2.0],
            },
            Bar {
                label: "a & b".into(),
                values: vec![1.0, 1.0, 1.0],
            },
        ];
        let svg = stacked_bars("需求 <按部门>", &bars, &["x", "y", "z"], None, false).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("role=\"img\"><title>需求 &lt;按部门&gt;</title>"));
        assert!(svg.contains("交通&lt;运输&gt;局"));
        assert!(svg.contains("a &amp; b"));
        assert!(!svg.contains("<运输>"));
        // Five filled bar segments (3, 2, 1, 1, 1) plus three legend swatches.
        let filled = |c: RGBColor| {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            svg.matches(&format!("fill=\"{hex}\"")).count()
        };
        assert_eq!(filled(PALETTE[0]), 2 + 1);
        assert_eq!(filled(PALETTE[1]), 1 + 1);
        assert_eq!(filled(PALETTE[2]), 2 + 1);
    }

    #[test]
    fn scales_end_at_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(420.0), 500.0);
        let long = "一二三四五六七八九十".repeat(3);
        assert_eq!(short(&long[..]), format!("{}…", &long[..19 * 3]));
        assert_eq!(short("transport title"), "transport title");
    }
}
