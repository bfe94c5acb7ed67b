/// The report's inline style sheet: screen layout, chart styling and print rules (A4 pages,
/// no page breaks inside figures and tables, links shown without colour).
enum ReportStyle {
    static let css = """
    :root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #d0d0d0; --accent: #0072b2; }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
           color: var(--ink); margin: 0 auto; max-width: 1340px; padding: 16px 24px 48px; background: #ffffff; }
    h1 { font-size: 24px; margin: 8px 0 2px; }
    h2 { font-size: 19px; margin: 28px 0 8px; padding-top: 8px; border-top: 2px solid var(--rule); }
    h3 { font-size: 15px; margin: 18px 0 6px; }
    p { margin: 6px 0; max-width: 980px; }
    .subtitle { color: var(--muted); margin-top: 0; }
    .note, figcaption { color: var(--muted); font-size: 12.5px; max-width: 980px; }
    nav ul { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
    a { color: var(--accent); text-decoration: none; }
    table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
    caption { text-align: left; font-weight: 600; padding: 4px 0; }
    th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
    thead th { border-bottom: 2px solid #9a9a9a; background: #f4f4f4; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    table.facts th { font-weight: 600; white-space: nowrap; background: none; }
    table.layers { font-size: 11.5px; }
    figure { margin: 8px 0 16px; }
    .charts { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
    svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
    svg .plot-area { fill: #ffffff; stroke: #9a9a9a; }
    svg .grid { stroke: #e6e6e6; }
    svg .tick { font-size: 11px; fill: #333333; }
    svg .tick-mark { stroke: #333333; }
    svg .axis-label { font-size: 12px; fill: #1b1b1b; }
    svg .col-label { font-size: 11px; fill: #1b1b1b; }
    svg .row-label { font-size: 8.5px; fill: #444444; }
    svg .group-label { font-size: 9px; font-weight: 600; fill: #1b1b1b; }
    svg .cell-label { font-size: 10px; }
    svg .legend-title { font-size: 11.5px; font-weight: 600; }
    svg .point { fill: #0072b2; fill-opacity: 0.75; stroke: #ffffff; stroke-width: 0.5; }
    svg .diagonal { stroke: #888888; stroke-dasharray: 4 3; }
    svg .frontier { fill: none; stroke: #0072b2; stroke-width: 2; }
    svg .frontier-point { fill: #0072b2; }
    svg .baseline { fill: #d55e00; stroke: #ffffff; stroke-width: 0.8; }
    svg .plan { fill: #009e73; stroke: #1b1b1b; stroke-width: 1; }
    svg .measured { fill: #cc79a7; stroke: #1b1b1b; stroke-width: 0.8; }
    svg .point-label { font-size: 10.5px; fill: #7a3300; }
    svg .legend-box { fill: #ffffff; fill-opacity: 0.9; stroke: #cccccc; }
    svg .bar { fill: #56b4e9; }
    svg .reference { stroke: #d55e00; stroke-dasharray: 5 3; stroke-width: 1.2; }
    details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
    footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
    @media print {
      body { max-width: none; padding: 0; font-size: 11px; }
      nav { display: none; }
      h2 { break-after: avoid; page-break-after: avoid; }
      figure, table, svg { break-inside: avoid; page-break-inside: avoid; }
      a { color: inherit; }
      details > summary { display: none; }
      @page { size: A4; margin: 14mm; }
    }
    """
}
