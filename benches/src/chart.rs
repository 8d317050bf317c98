//! `--chart`: an SVG bar chart of IOPS per engine.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::Report;

/// Draws one bar per engine, labelled with its IOPS and its ratio to the first engine.
pub(crate) fn draw(report: &Report, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let engines = &report.engines;
    let n = engines.len().max(1);
    let top = engines
        .iter()
        .map(|e| e.iops)
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.15;
    let w = &report.workload;
    let title = format!(
        "{} bs={} qd={}{}{}: IOPS",
        w.rw,
        w.bs,
        w.iodepth,
        if w.direct { " direct" } else { "" },
        if w.fixed { " fixed" } else { "" }
    );

    let root = SVGBackend::new(path, (160 * n as u32 + 200, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..n as f64, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(WHITE)
        .y_desc("IOPS")
        .y_label_formatter(&|y| format!("{:.0}k", y / 1e3))
        .draw()?;

    // Bar i spans [i + 0.15, i + 0.85] on an x axis of 0..n.
    chart.draw_series(engines.iter().enumerate().map(|(i, e)| {
        let x = i as f64;
        Rectangle::new(
            [(x + 0.15, 0.0), (x + 0.85, e.iops)],
            BLUE.mix(0.7).filled(),
        )
    }))?;
    let centered = |size: u32, v: VPos| {
        ("sans-serif", size)
            .into_font()
            .into_text_style(&root)
            .pos(Pos::new(HPos::Center, v))
    };
    chart.draw_series(engines.iter().enumerate().map(|(i, e)| {
        let label = format!("{:.0} ({:.2}x)", e.iops, e.vs_first);
        Text::new(
            label,
            (i as f64 + 0.5, e.iops + top * 0.01),
            centered(14, VPos::Bottom),
        )
    }))?;
    // Engine names under the axis, placed in pixels since they sit outside the plot area.
    for (i, e) in engines.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            e.engine.as_str(),
            (x, y + 10),
            centered(14, VPos::Top),
        ))?;
    }
    root.present()?;
    Ok(())
}
